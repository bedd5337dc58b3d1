"""Pictures of the data for people: a grid of sample photos with their annotations drawn.

Dashboards show artifact visualizations at a modest size, so each tile is small and every
label is drawn large enough to read there."""

from __future__ import annotations

import json

import cv2
import numpy as np

from alpr.classes import BOARD_CLASSES, CLASS_NAMES, GLYPH_CLASSES
from alpr.fsutil import join, open_fs

#: BGR: boards green, number areas blue, glyphs orange
_COLOURS = {"board": (60, 180, 60), "area": (200, 120, 40), "glyph": (0, 140, 255)}


def samples_grid(coco_url: str, split: str = "train", count: int = 8, columns: int = 4,
                 tile: tuple[int, int] = (320, 240)) -> np.ndarray:
    """The first ``count`` photos of ``split`` (any fsspec URL of a merged COCO folder), each
    fitted into a ``tile`` with its polygons and labels, tiled ``columns`` wide (BGR)."""
    fs, root = open_fs(coco_url)
    doc = json.loads(fs.cat_file(join(root, "annotations", f"{split}.json")))
    images = doc["images"][:count]
    rows = max(1, -(-len(images) // columns))
    width, height = tile
    canvas = np.full((rows * height, columns * width, 3), 235, np.uint8)
    for i, image in enumerate(images):
        pixels = cv2.imdecode(np.frombuffer(fs.cat_file(join(root, image["file_name"])), np.uint8), cv2.IMREAD_COLOR)
        anns = [a for a in doc["annotations"] if a["image_id"] == image["id"]]
        r, c = divmod(i, columns)
        canvas[r * height:(r + 1) * height, c * width:(c + 1) * width] = _tile(pixels, anns, tile)
    return canvas


def _tile(pixels: np.ndarray, anns: list[dict], tile: tuple[int, int]) -> np.ndarray:
    """One photo fitted into ``tile`` (letterboxed) with its annotations drawn."""
    width, height = tile
    h, w = pixels.shape[:2]
    scale = min(width / w, height / h)
    small = cv2.resize(pixels, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    out = np.full((height, width, 3), 235, np.uint8)
    oy, ox = (height - small.shape[0]) // 2, (width - small.shape[1]) // 2
    out[oy:oy + small.shape[0], ox:ox + small.shape[1]] = small
    for ann in sorted(anns, key=lambda a: CLASS_NAMES[a["category_id"] - 1] in GLYPH_CLASSES):
        label = CLASS_NAMES[ann["category_id"] - 1]
        kind = "board" if label in BOARD_CLASSES else "glyph" if label in GLYPH_CLASSES else "area"
        points = np.array(ann["segmentation"][0], np.float32).reshape(-1, 2) * scale + (ox, oy)
        cv2.polylines(out, [points.round().astype(np.int32)], True, _COLOURS[kind], 1, cv2.LINE_AA)
        if kind == "glyph":  # the class above the glyph, readable at tile size
            x, y = points[:, 0].min(), points[:, 1].min()
            cv2.putText(out, label.upper(), (int(x), max(9, int(y) - 2)), cv2.FONT_HERSHEY_SIMPLEX, 0.35,
                        _COLOURS[kind], 1, cv2.LINE_AA)
    cv2.putText(out, f"{w}x{h}", (4, height - 6), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (40, 40, 40), 1, cv2.LINE_AA)
    return out
