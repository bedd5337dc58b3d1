"""Register a stack from ``stacks/<name>.yaml`` through the ZenML Python client (idempotent).

Components that already exist with the same name are reused as they are; a stack that
already exists is only activated, so re-running costs one lookup.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import yaml
from pydantic import BaseModel, Field
from zenml.client import Client
from zenml.enums import StackComponentType

STACKS_DIR = Path(__file__).resolve().parent


class ComponentSpec(BaseModel):
    name: str
    flavor: str
    configuration: dict[str, object] = Field(default_factory=dict)


class StackSpec(BaseModel):
    name: str
    components: dict[StackComponentType, ComponentSpec]


def load_stack_spec(name: str) -> StackSpec:
    """Read ``stacks/<name>.yaml``; ``${VAR}`` in values is taken from the environment."""
    path = STACKS_DIR / f"{name}.yaml"
    if not path.exists():
        known = sorted(p.stem for p in STACKS_DIR.glob("*.yaml"))
        raise KeyError(f"no stack definition {path}; known stacks: {', '.join(known)}")
    text = re.sub(r"\$\{(\w+)\}", lambda m: _env(m.group(1), path), path.read_text())
    return StackSpec.model_validate(yaml.safe_load(text))


def ensure_stack(name: str, activate: bool = True) -> str:
    """Make sure stack ``name`` exists (registering it from its YAML if not); activate it."""
    client = Client()
    if not _stack_exists(client, name):
        spec = load_stack_spec(name)
        for ctype, comp in spec.components.items():
            existing = client.list_stack_components(name=comp.name, type=ctype.value)
            if not existing.items:
                client.create_stack_component(
                    name=comp.name,
                    flavor=comp.flavor,
                    component_type=ctype,
                    configuration=dict(comp.configuration),
                )
        client.create_stack(name=spec.name, components={t: c.name for t, c in spec.components.items()})
    if activate and client.active_stack_model.name != name:
        client.activate_stack(name)
    return name


def _stack_exists(client: Client, name: str) -> bool:
    return bool(client.list_stacks(name=name).items)


def _env(var: str, path: Path) -> str:
    value = os.environ.get(var)
    if value is None:
        raise KeyError(f"{path}: environment variable {var} is not set")
    return value
