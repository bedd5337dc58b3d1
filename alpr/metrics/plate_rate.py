"""Plate-level metrics: EIR (exact inference rate), plate precision, per-character accuracy.

A predicted reading is matched to a true plate of the same image when their boxes overlap
with IoU >= 0.5 (greedy, best score first, each true plate once). EIR is the fraction of
true plates whose reading (shape, region, letter, serial) is exactly right; plate precision
is the fraction of predicted readings that are exactly right (readings matching no true plate
count against it); per-character accuracy compares the 7 characters position by position
(a true plate without a matching reading scores 0 for all 7).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from pycocotools.coco import COCO

from alpr.classes import PART_CLASSES, category_id
from alpr.boxes import box_overlaps
from alpr.postprocess import PlateReading

PLATE_CHARS = 7


@dataclass(frozen=True)
class PlateMetrics:
    eir: float
    plate_precision: float
    char_accuracy: float
    true_plates: int
    predicted_plates: int
    exact: int

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def true_plates(gt: COCO, image_id: int) -> list[dict]:
    """The image's true plates: shape, text and board box (x1, y1, x2, y2)."""
    image = gt.loadImgs(image_id)[0]
    anns = gt.loadAnns(gt.getAnnIds(imgIds=image_id))
    out = []
    for plate in image.get("plates", []):
        board_cat = category_id(PART_CLASSES[plate["shape"]]["board"])
        board = next(a for a in anns if a["category_id"] == board_cat and a.get("group_id") == plate["group_id"])
        x, y, w, h = board["bbox"]
        out.append({"shape": plate["shape"], "text": plate["text"], "bbox": (x, y, x + w, y + h)})
    return out


def plate_metrics(gt: COCO, readings: dict[int, list[PlateReading]], iou_threshold: float = 0.5) -> PlateMetrics:
    n_true = n_pred = exact = chars = 0
    for image_id in gt.getImgIds():
        truths = true_plates(gt, image_id)
        preds = sorted(readings.get(image_id, []), key=lambda r: -r.score)
        n_true += len(truths)
        n_pred += len(preds)
        free = list(range(len(truths)))
        for reading in preds:
            best, best_iou = None, iou_threshold
            for i in free:
                iou = box_overlaps(reading.bbox, truths[i]["bbox"])
                if iou >= best_iou:
                    best, best_iou = i, iou
            if best is None:
                continue
            free.remove(best)
            truth = truths[best]
            if reading.shape == truth["shape"] and reading.text == truth["text"]:
                exact += 1
            chars += sum(a == b for a, b in zip(reading.text, truth["text"] or ""))
    return PlateMetrics(
        eir=exact / n_true if n_true else 0.0,
        plate_precision=exact / n_pred if n_pred else 0.0,
        char_accuracy=chars / (PLATE_CHARS * n_true) if n_true else 0.0,
        true_plates=n_true,
        predicted_plates=n_pred,
        exact=exact,
    )
