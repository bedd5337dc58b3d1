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

from alpr.boxes import box_overlaps
from alpr.classes import PART_CLASSES, category_id
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
    """The image's true plates: shape, text, board box (x1, y1, x2, y2) and group id."""
    image = gt.loadImgs(image_id)[0]
    anns = gt.loadAnns(gt.getAnnIds(imgIds=image_id))
    out = []
    for plate in image.get("plates", []):
        board_cat = category_id(PART_CLASSES[plate["shape"]]["board"])
        board = next(a for a in anns if a["category_id"] == board_cat and a.get("group_id") == plate["group_id"])
        x, y, w, h = board["bbox"]
        out.append({"shape": plate["shape"], "text": plate["text"], "bbox": (x, y, x + w, y + h),
                    "group_id": plate["group_id"]})
    return out


@dataclass(frozen=True)
class PlateOutcome:
    """One true plate with the reading matched to it, or one reading that matched no plate."""

    image_id: int
    truth: dict | None  # shape, text, bbox (x1, y1, x2, y2); None: a reading of no true plate
    reading: PlateReading | None  # None: a true plate nothing read

    @property
    def exact(self) -> bool:
        return (self.truth is not None and self.reading is not None and self.reading.shape == self.truth["shape"]
                and self.reading.text == self.truth["text"])


def plate_outcomes(gt: COCO, readings: dict[int, list[PlateReading]], iou_threshold: float = 0.5) -> list[PlateOutcome]:
    """Every true plate and every reading of the split, matched (greedy, best score first)."""
    out = []
    for image_id in gt.getImgIds():
        truths = true_plates(gt, image_id)
        matched: dict[int, PlateReading] = {}
        for reading in sorted(readings.get(image_id, []), key=lambda r: -r.score):
            best, best_iou = None, iou_threshold
            for i, truth in enumerate(truths):
                iou = box_overlaps(reading.bbox, truth["bbox"])
                if i not in matched and iou >= best_iou:
                    best, best_iou = i, iou
            if best is None:
                out.append(PlateOutcome(image_id, None, reading))
            else:
                matched[best] = reading
        out += [PlateOutcome(image_id, truth, matched.get(i)) for i, truth in enumerate(truths)]
    return out


def plate_metrics(gt: COCO, readings: dict[int, list[PlateReading]], iou_threshold: float = 0.5) -> PlateMetrics:
    return metrics_of(plate_outcomes(gt, readings, iou_threshold))


def metrics_of(outcomes: list[PlateOutcome]) -> PlateMetrics:
    n_true = sum(o.truth is not None for o in outcomes)
    n_pred = sum(o.reading is not None for o in outcomes)
    exact = sum(o.exact for o in outcomes)
    chars = sum(sum(a == b for a, b in zip(o.reading.text, o.truth["text"] or ""))
                for o in outcomes if o.truth is not None and o.reading is not None)
    return PlateMetrics(
        eir=exact / n_true if n_true else 0.0,
        plate_precision=exact / n_pred if n_pred else 0.0,
        char_accuracy=chars / (PLATE_CHARS * n_true) if n_true else 0.0,
        true_plates=n_true,
        predicted_plates=n_pred,
        exact=exact,
    )


#: photo-size buckets: a photo belongs to the size whose long side is nearest its own
PHOTO_SIZES: tuple[tuple[int, int], ...] = ((640, 480), (800, 600), (1280, 960), (1920, 1080), (2560, 1440), (3840, 2160))
#: plate-width buckets (board width in photo pixels): lower bounds
PLATE_WIDTHS: tuple[int, ...] = (0, 80, 120, 200, 400)


def photo_size_bucket(width: int, height: int) -> str:
    long_side = max(width, height)
    w, h = min(PHOTO_SIZES, key=lambda s: abs(s[0] - long_side))
    return f"{w}x{h}"


def plate_width_bucket(width: float) -> str:
    i = max(i for i, lo in enumerate(PLATE_WIDTHS) if width >= lo)
    return f"{PLATE_WIDTHS[i]}-{PLATE_WIDTHS[i + 1]}px" if i + 1 < len(PLATE_WIDTHS) else f">={PLATE_WIDTHS[i]}px"


def bucketed_metrics(gt: COCO, outcomes: list[PlateOutcome]) -> dict[str, dict[str, dict[str, float | int]]]:
    """EIR, precision and counts per photo-size bucket and per plate-width bucket (a reading of
    no true plate counts in the bucket of its own width)."""
    photo = {i: photo_size_bucket(img["width"], img["height"]) for i, img in gt.imgs.items()}

    def width(o: PlateOutcome) -> float:
        x1, _, x2, _ = o.truth["bbox"] if o.truth is not None else o.reading.bbox
        return x2 - x1

    keys = {"photo_size": lambda o: photo[o.image_id], "plate_width": lambda o: plate_width_bucket(width(o))}
    out: dict[str, dict[str, dict[str, float | int]]] = {}
    for name, key in keys.items():
        groups: dict[str, list[PlateOutcome]] = {}
        for o in outcomes:
            groups.setdefault(key(o), []).append(o)
        out[name] = {bucket: _bucket_row(metrics_of(group)) for bucket, group in sorted(groups.items(), key=_order)}
    return out


def _order(item: tuple[str, list]) -> tuple[int, str]:
    digits = "".join(c for c in item[0].split("-")[0].split("x")[0] if c.isdigit())
    return int(digits or 0), item[0]


def _bucket_row(m: PlateMetrics) -> dict[str, float | int]:
    return {"eir": round(m.eir, 4), "plate_precision": round(m.plate_precision, 4), "true_plates": m.true_plates,
            "predicted_plates": m.predicted_plates, "exact": m.exact}


#: why a true plate was not read exactly, from the best reading at its place
MISS_CAUSES = ("board not found", "wrong shape", "glyph missed", "glyphs misplaced", "glyph wrong")


def miss_cause(truth: dict, readings: list[PlateReading], iou_threshold: float = 0.5) -> tuple[str, PlateReading | None]:
    """The cause (one of ``MISS_CAUSES``) of a true plate not read exactly, and the reading it
    was judged by: the valid reading, else the invalid one, overlapping it most. ``readings``
    must include invalid ones (``ReadOptions.include_invalid``) for glyph causes to show."""
    near = [(box_overlaps(r.bbox, truth["bbox"]), r) for r in readings]
    near = [(iou, r) for iou, r in near if iou >= iou_threshold]
    if not near:
        return "board not found", None
    _, reading = max(near, key=lambda m: (m[1].valid, m[0]))
    if reading.shape != truth["shape"]:
        return "wrong shape", reading
    if not reading.valid:
        if len(reading.glyphs) < PLATE_CHARS:
            return "glyph missed", reading
        if "does not match" not in reading.reason:
            return "glyphs misplaced", reading
    return "glyph wrong", reading
