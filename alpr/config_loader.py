"""The one typed config loader: YAML file -> pydantic model, with errors naming the file."""

from __future__ import annotations

from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from alpr.fsutil import open_fs

M = TypeVar("M", bound=BaseModel)


class ConfigError(ValueError):
    """A config file that cannot be read or does not match its schema."""

    def __init__(self, path: str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def load_yaml(path: str) -> dict:
    fs, p = open_fs(path)
    try:
        with fs.open(p, "r") as f:
            data = yaml.safe_load(f)
    except FileNotFoundError as exc:
        raise ConfigError(path, "file not found") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(path, f"invalid YAML: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(path, f"expected a mapping at the top level, got {type(data).__name__}")
    return data


def load_yaml_model(path: str, model: type[M], section: str | None = None) -> M:
    """Load ``path`` (or one top-level ``section`` of it) into ``model``."""
    data = load_yaml(path)
    if section is not None:
        data = data.get(section) or {}
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(path, str(exc)) from exc
