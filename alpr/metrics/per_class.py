"""Where a model goes wrong, class by class: COCO bbox AP per class, and which class each true
glyph was detected as (a confusion matrix of the glyph classes)."""

from __future__ import annotations

import contextlib
import io

from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from alpr.boxes import box_overlaps
from alpr.classes import CLASS_NAMES, GLYPHS

MISSED = "missed"


def per_class_ap(gt: COCO, results: list[dict]) -> dict[str, float]:
    """bbox AP (IoU 0.50:0.95) of every class with true instances; -1 entries (no truth) left out."""
    if not results:
        return {}
    with contextlib.redirect_stdout(io.StringIO()):
        ev = COCOeval(gt, gt.loadRes(results), "bbox")
        ev.evaluate()
        ev.accumulate()
    precision = ev.eval["precision"][:, :, :, 0, -1]  # IoU x recall x class, all areas, most detections
    out = {}
    for k, cat_id in enumerate(ev.params.catIds):
        p = precision[:, :, k]
        if (p > -1).any():
            out[CLASS_NAMES[cat_id - 1]] = round(float(p[p > -1].mean()), 4)
    return out


def glyph_confusion(gt: COCO, results: list[dict], iou_threshold: float = 0.5,
                    score_threshold: float = 0.3) -> dict[str, dict[str, int]]:
    """For every true glyph, the class of the strongest glyph detection (score at least
    ``score_threshold``) overlapping it with IoU >= ``iou_threshold``, or ``missed``:
    ``{true class: {detected class: count}}``."""
    glyph_ids = {CLASS_NAMES.index(g) + 1 for g in GLYPHS}
    detections: dict[int, list[tuple[float, str, tuple]]] = {}
    for r in results:
        if r["category_id"] in glyph_ids and r["score"] >= score_threshold:
            x, y, w, h = r["bbox"]
            detections.setdefault(r["image_id"], []).append((r["score"], CLASS_NAMES[r["category_id"] - 1],
                                                             (x, y, x + w, y + h)))
    out: dict[str, dict[str, int]] = {g: {} for g in GLYPHS}
    for ann in gt.loadAnns(gt.getAnnIds(catIds=sorted(glyph_ids))):
        x, y, w, h = ann["bbox"]
        truth = (x, y, x + w, y + h)
        hits = [(s, label) for s, label, box in detections.get(ann["image_id"], [])
                if box_overlaps(box, truth) >= iou_threshold]
        seen = max(hits)[1] if hits else MISSED
        row = out[CLASS_NAMES[ann["category_id"] - 1]]
        row[seen] = row.get(seen, 0) + 1
    return {g: row for g, row in out.items() if row}


def confusion_table(confusion: dict[str, dict[str, int]]) -> list[list[str]]:
    """The matrix as rows of cells: a header of detected classes (and ``missed``), then one
    row per true class."""
    columns = [g for g in GLYPHS if any(g in row for row in confusion.values())]
    columns += [MISSED] if any(MISSED in row for row in confusion.values()) else []
    rows = [["true \\ detected", *[c.upper() if c != MISSED else c for c in columns]]]
    for true, row in confusion.items():
        rows.append([true.upper(), *[str(row.get(c, 0)) for c in columns]])
    return rows


__all__ = ["MISSED", "confusion_table", "glyph_confusion", "per_class_ap"]
