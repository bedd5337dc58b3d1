"""The one checkpoint format: a self-describing file that loads with ``weights_only=True``.

It holds the weights, the full model config as text, the ordered class names, the training
parameters and metrics, and library versions: plain tensors, strings, numbers, lists and
dicts only (no optimizer state, no pickled objects), so loading never runs foreign code.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from typing import Any

import torch

from alpr.classes import CLASS_NAMES
from alpr.fsutil import open_fs
from alpr.model.trained_net import TrainedNet

FORMAT = "alpr-detector/1"


class CheckpointError(ValueError):
    """A file that is not a usable ALPR checkpoint; says which file and why."""


@dataclass
class Checkpoint:
    state_dict: dict[str, torch.Tensor]
    config_text: str
    classes: list[str] = field(default_factory=lambda: list(CLASS_NAMES))
    params: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    glyphs: TrainedNet | None = None  # the second-look glyph classifier, if trained
    reader: TrainedNet | None = None  # the plate reader (alpr/model/plate_reader.py), if trained

    def to_payload(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "state_dict": {k: v.detach().cpu().contiguous() for k, v in self.state_dict.items()},
            "config": str(self.config_text),
            "classes": [str(c) for c in self.classes],
            "params": _plain(self.params),
            "metrics": _plain(self.metrics),
            "versions": _plain(self.versions or library_versions()),
            "glyphs": self.glyphs.to_payload() if self.glyphs else None,
            "reader": self.reader.to_payload() if self.reader else None,
        }


def _plain(value: Any) -> Any:
    """Only JSON types (str subclasses such as TorchVersion become str): weights_only-safe."""
    return json.loads(json.dumps(value))


def save_checkpoint(checkpoint: Checkpoint, url: str) -> None:
    buffer = io.BytesIO()
    torch.save(checkpoint.to_payload(), buffer)
    fs, path = open_fs(url)
    parent = path.rsplit("/", 1)[0]
    if parent:
        fs.makedirs(parent, exist_ok=True)
    fs.pipe_file(path, buffer.getvalue())


def load_checkpoint(url: str) -> Checkpoint:
    fs, path = open_fs(url)
    try:
        data = fs.cat_file(path)
    except FileNotFoundError as exc:
        raise CheckpointError(f"{url}: checkpoint file not found") from exc
    try:
        payload = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several types for foreign or corrupt files
        raise CheckpointError(f"{url}: not a weights-only checkpoint ({exc.__class__.__name__}: {exc})") from exc
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{url}: not an {FORMAT} checkpoint")
    nets = {}
    for key, what in (("glyphs", "glyph classifier"), ("reader", "plate reader")):
        try:
            nets[key] = TrainedNet.from_payload(payload[key]) if payload.get(key) else None
        except (KeyError, ValueError) as exc:
            raise CheckpointError(f"{url}: unusable {what} ({exc.__class__.__name__}: {exc})") from exc
    return Checkpoint(
        state_dict=payload["state_dict"],
        config_text=payload["config"],
        classes=list(payload["classes"]),
        params=payload.get("params", {}),
        metrics=payload.get("metrics", {}),
        versions=payload.get("versions", {}),
        **nets,
    )


def library_versions() -> dict[str, str]:
    import mmcv
    import mmdet
    import mmengine

    return {"torch": torch.__version__, "mmcv": mmcv.__version__, "mmdet": mmdet.__version__,
            "mmengine": mmengine.__version__}
