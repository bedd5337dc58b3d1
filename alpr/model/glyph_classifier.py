"""A second look at each detected glyph: a small CNN classifies it from the input image itself.

Why: the detector sees a glyph through 4-8 feature cells of stride 4 (a 14-30 px glyph of the
default 384x288 scene) and mixes up 6/8/5/9 and E/B; on one bench model 50 of 400 plates had a
wrong character. The crop at the image's own resolution shows the strokes that tell them apart.
The detector still finds the glyphs (where); this classifier says which glyph (what).

Trained on the training split's glyph boxes, shifted and scaled at random as much as detected
boxes are off; saved inside the detector's checkpoint (plain tensors and numbers).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import cv2
import numpy as np
import torch
from pydantic import BaseModel, Field
from torch import nn

from alpr.classes import GLYPHS
from alpr.coco import split_annotations
from alpr.model.trained_net import TrainedNet

log = logging.getLogger(__name__)


class GlyphParams(BaseModel):
    """How the glyph classifier is trained (``TrainParams.glyphs``)."""

    enabled: bool = True
    size: tuple[int, int] = (24, 32)  # (width, height) of the crop the CNN sees
    widths: tuple[int, int, int] = (16, 32, 64)  # channels of its three stages
    #: random shift and scale of the true box, as a fraction of its size: detected boxes are
    #: this far off, so the classifier must not depend on a tight crop
    jitter: float = Field(0.12, ge=0.0, le=0.5)
    copies: int = Field(3, ge=1)  # jittered crops per true glyph
    epochs: int = Field(2, ge=1)
    batch_size: int = Field(128, ge=1)
    lr: float = Field(3e-3, gt=0)
    seed: int = 0


def build_net(widths: tuple[int, int, int], classes: int = len(GLYPHS)) -> nn.Sequential:
    def block(cin: int, cout: int) -> list[nn.Module]:
        return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]

    a, b, c = widths
    return nn.Sequential(
        *block(1, a), *block(a, a), nn.MaxPool2d(2),
        *block(a, b), *block(b, b), nn.MaxPool2d(2),
        *block(b, c), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, classes),
    )


def crop_glyph(gray: np.ndarray, box: tuple[float, float, float, float], size: tuple[int, int]) -> np.ndarray:
    """The box of a grey image resampled to ``size`` (w, h), standardised: colour schemes and
    exposure vary, the strokes' shape does not."""
    x1, y1, x2, y2 = box
    w, h = size
    sx, sy = max(x2 - x1, 1.0) / w, max(y2 - y1, 1.0) / h
    m = np.array([[1 / sx, 0, -x1 / sx], [0, 1 / sy, -y1 / sy]], np.float32)
    out = cv2.warpAffine(gray, m, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE).astype(np.float32)
    return (out - out.mean()) / (out.std() + 1.0)


def _jittered(box: tuple[float, float, float, float], jitter: float, rng: np.random.Generator):
    x1, y1, x2, y2 = box
    w, h = x2 - x1, y2 - y1
    cx, cy = (x1 + x2) / 2 + rng.uniform(-jitter, jitter) * w, (y1 + y2) / 2 + rng.uniform(-jitter, jitter) * h
    w, h = w * rng.uniform(1 - jitter, 1 + jitter), h * rng.uniform(1 - jitter, 1 + jitter)
    return cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2


def glyph_crops(dataset_dir: Path, split: str, size: tuple[int, int], copies: int, jitter: float,
                rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Crops (N, 1, h, w) float32 and labels (N,) of every true glyph of a COCO split."""
    doc, by_image = split_annotations(dataset_dir, split, GLYPHS)
    names = {c["id"]: c["name"] for c in doc["categories"]}
    crops, labels = [], []
    for image in doc["images"]:
        anns = by_image.get(image["id"])
        if not anns:
            continue
        pixels = cv2.imread(str(dataset_dir / image["file_name"]), cv2.IMREAD_GRAYSCALE)
        if pixels is None:
            raise FileNotFoundError(f"{dataset_dir / image['file_name']}: missing or unreadable image")
        for a in anns:
            x, y, w, h = a["bbox"]
            for _ in range(copies):
                box = _jittered((x, y, x + w, y + h), jitter, rng) if jitter else (x, y, x + w, y + h)
                crops.append(crop_glyph(pixels, box, size))
                labels.append(GLYPHS.index(names[a["category_id"]]))
    if not crops:
        raise ValueError(f"{dataset_dir}: the {split} split has no glyph annotations to train the glyph classifier on")
    return np.stack(crops)[:, None], np.asarray(labels, np.int64)


def train_glyph_classifier(dataset_dir: Path, params: GlyphParams) -> TrainedNet:
    """Train on the train split's glyphs; accuracy on the val split's (untouched boxes and jittered)."""
    started = time.perf_counter()
    rng = np.random.default_rng(params.seed)
    torch.manual_seed(params.seed)
    x, y = glyph_crops(dataset_dir, "train", params.size, params.copies, params.jitter, rng)
    net = build_net(params.widths)
    steps = params.epochs * int(np.ceil(len(y) / params.batch_size))
    optimizer = torch.optim.AdamW(net.parameters(), lr=params.lr, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=params.lr, total_steps=steps)
    xs, ys = torch.from_numpy(x), torch.from_numpy(y)
    net.train()
    for _ in range(params.epochs):
        order = torch.from_numpy(rng.permutation(len(y)))
        for i in range(0, len(y), params.batch_size):
            idx = order[i:i + params.batch_size]
            loss = nn.functional.cross_entropy(net(xs[idx]), ys[idx], label_smoothing=0.05)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
    net.eval()
    metrics = {"train_glyphs": float(len(y) // params.copies)}
    for name, jitter in (("val_accuracy", 0.0), ("val_accuracy_jittered", params.jitter)):
        try:
            vx, vy = glyph_crops(dataset_dir, "val", params.size, 1, jitter, np.random.default_rng(params.seed + 1))
        except ValueError:  # no val glyphs: nothing to report
            break
        metrics[name] = float((_predict(net, vx).argmax(1) == vy).mean())
    metrics["train_wall_time_s"] = time.perf_counter() - started
    log.info("glyph classifier: %s", metrics)
    return TrainedNet(net.state_dict(), params.model_dump(mode="json"), metrics)


def _predict(net: nn.Module, crops: np.ndarray, batch: int = 512) -> np.ndarray:
    with torch.no_grad():
        return np.concatenate([torch.softmax(net(torch.from_numpy(crops[i:i + batch])), 1).numpy()
                               for i in range(0, len(crops), batch)]) if len(crops) else np.zeros((0, len(GLYPHS)))


class GlyphClassifier:
    """Inference: class probabilities of glyph boxes in one image."""

    def __init__(self, model: TrainedNet):
        params = GlyphParams(**model.params)
        self.size = params.size
        self.net = build_net(params.widths)
        self.net.load_state_dict(model.state_dict)
        self.net.eval()

    def probabilities(self, image_bgr: np.ndarray, boxes: list[tuple[float, float, float, float]]) -> np.ndarray:
        """(len(boxes), 15) probabilities over ``GLYPHS``."""
        if not boxes:
            return np.zeros((0, len(GLYPHS)), np.float32)
        gray = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2GRAY)
        return _predict(self.net, np.stack([crop_glyph(gray, b, self.size) for b in boxes])[:, None])
