"""A small network trained beside the detector and stored inside its checkpoint.

The glyph classifier and the plate reader are both plain torch modules over the glyph alphabet
(``GLYPHS``); a checkpoint keeps each as tensors and numbers only (weights-only loading), with
the parameters that rebuild it and the metrics it scored when trained.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from alpr.classes import GLYPHS


@dataclass
class TrainedNet:
    """What the checkpoint stores of one small network, and what inference needs to rebuild it."""

    state_dict: dict[str, torch.Tensor]
    params: dict[str, Any]
    metrics: dict[str, float]

    def to_payload(self) -> dict[str, Any]:
        return {"classes": list(GLYPHS), "state_dict": {k: v.detach().cpu().contiguous() for k, v in self.state_dict.items()},
                "params": self.params, "metrics": self.metrics}

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> "TrainedNet":
        if list(payload.get("classes", [])) != list(GLYPHS):
            raise ValueError(f"classes {payload.get('classes')} differ from {list(GLYPHS)}")
        return cls(payload["state_dict"], payload["params"], payload.get("metrics", {}))
