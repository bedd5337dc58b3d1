"""Turn detections (class, score, box, optional outline) into licence-plate readings.

For each board: take the glyphs whose centres lie on it, drop duplicate glyphs (two classes
at one place: the higher score wins), split them into the sub-number area ("NN L") and the
main-number area ("NNNN") using the detected areas (or, when an area was missed, the plate's
geometry), order each area along the plate's reading direction, and check the grammar:
sub = 2 digits + 1 letter, main = 4 digits. Pure function of its input; no model needed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

from alpr.classes import BOARD_CLASSES, DIGITS, GLYPH_CLASSES, LETTERS, PART_CLASSES

Box = tuple[float, float, float, float]  # x1, y1, x2, y2


@dataclass(frozen=True)
class Detection:
    label: str
    score: float
    bbox: Box
    #: outline of the mask in image pixels, when the detector gives one
    polygon: tuple[tuple[float, float], ...] | None = None

    @property
    def center(self) -> tuple[float, float]:
        x1, y1, x2, y2 = self.bbox
        return (x1 + x2) / 2, (y1 + y2) / 2


@dataclass(frozen=True)
class ReadOptions:
    board_threshold: float = 0.5
    part_threshold: float = 0.3
    glyph_threshold: float = 0.3
    #: boards overlapping more than this (IoU) are one plate
    board_nms_iou: float = 0.5
    #: glyphs overlapping more than this (IoU) are one glyph, whatever their classes
    glyph_nms_iou: float = 0.4
    include_invalid: bool = False


@dataclass
class PlateReading:
    shape: str
    bbox: Box
    score: float
    region: str = ""
    vehicle_type: str = ""
    serial: str = ""
    valid: bool = True
    reason: str = ""
    glyphs: list[Detection] = field(default_factory=list, repr=False)

    @property
    def text(self) -> str:
        return f"{self.region}{self.vehicle_type}{self.serial}"

    def as_dict(self) -> dict:
        x1, y1, x2, y2 = self.bbox
        out = {
            "shape": self.shape,
            "bbox": [round(v, 1) for v in self.bbox],
            "center": [round((x1 + x2) / 2, 1), round((y1 + y2) / 2, 1)],
            "width": round(x2 - x1, 1),
            "height": round(y2 - y1, 1),
            "region": self.region,
            "vehicle_type": self.vehicle_type,
            "serial": self.serial,
            "text": self.text,
            "score": round(self.score, 4),
        }
        if not self.valid:
            out.update(valid=False, reason=self.reason)
        return out


def read_plates(detections: Iterable[Detection], options: ReadOptions = ReadOptions()) -> list[PlateReading]:
    """Plate readings, best score first; invalid plates only with ``include_invalid``."""
    dets = list(detections)
    boards = _nms(
        [d for d in dets if d.label in BOARD_CLASSES and d.score >= options.board_threshold],
        options.board_nms_iou,
    )
    glyphs = [d for d in dets if d.label in GLYPH_CLASSES and d.score >= options.glyph_threshold]
    parts = [
        d
        for d in dets
        if d.label in _AREA_CLASSES and d.score >= options.part_threshold
    ]
    taken: set[int] = set()
    readings = []
    for board in sorted(boards, key=lambda d: -d.score):
        own = [i for i, g in enumerate(glyphs) if i not in taken and _contains(board, g.center)]
        taken.update(own)
        reading = _read_board(board, [glyphs[i] for i in own], parts, options)
        if reading.valid or options.include_invalid:
            readings.append(reading)
    return sorted(readings, key=lambda r: -r.score)


_AREA_CLASSES = frozenset(
    name for shape in PART_CLASSES.values() for key, name in shape.items() if key != "board"
)


def _read_board(
    board: Detection, glyphs: list[Detection], parts: list[Detection], options: ReadOptions
) -> PlateReading:
    shape = BOARD_CLASSES[board.label]
    reading = PlateReading(shape=shape, bbox=board.bbox, score=board.score)
    glyphs = _nms(glyphs, options.glyph_nms_iou)
    reading.glyphs = glyphs
    if len(glyphs) < 7:
        return _invalid(reading, f"found {len(glyphs)} glyphs, a plate has 7")
    names = PART_CLASSES[shape]
    sub_area = _best([p for p in parts if p.label == names["sub"] and _contains(board, p.center)])
    main_area = _best([p for p in parts if p.label == names["main"] and _contains(board, p.center)])
    direction = _reading_direction(board, glyphs)
    sub, main = _split_areas(shape, glyphs, sub_area, main_area, direction)
    sub = _keep_best(sub, 3)
    main = _keep_best(main, 4)
    if len(sub) != 3 or len(main) != 4:
        return _invalid(reading, f"sub-number area has {len(sub)} glyphs (needs 3), main has {len(main)} (needs 4)")
    sub = _order(sub, direction)
    main = _order(main, direction)
    region, letter, serial = [g.label for g in sub[:2]], sub[2].label, [g.label for g in main]
    if not all(c in DIGITS for c in region) or letter not in LETTERS or not all(c in DIGITS for c in serial):
        text = "".join(g.label for g in sub + main)
        return _invalid(reading, f"'{text}' does not match NN L NNNN")
    reading.region = "".join(region)
    reading.vehicle_type = letter.upper()
    reading.serial = "".join(serial)
    reading.glyphs = sub + main
    reading.score = float(board.score * np.mean([g.score for g in sub + main]))
    return reading


def _invalid(reading: PlateReading, reason: str) -> PlateReading:
    reading.valid = False
    reading.reason = reason
    return reading


def _split_areas(
    shape: str,
    glyphs: list[Detection],
    sub_area: Detection | None,
    main_area: Detection | None,
    direction: np.ndarray,
) -> tuple[list[Detection], list[Detection]]:
    """Glyphs of the sub- and main-number areas: by detected area, else by geometry."""
    if sub_area is not None and main_area is not None:
        sub, main, rest = [], [], []
        for g in glyphs:
            in_sub, in_main = _contains(sub_area, g.center), _contains(main_area, g.center)
            if in_sub and not in_main:
                sub.append(g)
            elif in_main and not in_sub:
                main.append(g)
            else:
                rest.append(g)
        for g in rest:  # in both or neither: the nearer area centre decides
            (sub if _dist(g.center, sub_area.center) <= _dist(g.center, main_area.center) else main).append(g)
        return sub, main
    if shape == "regular":  # two rows: split along the direction across the text
        across = np.array([-direction[1], direction[0]])
        ordered = sorted(glyphs, key=lambda g: float(np.dot(g.center, across)))
        return ordered[:3], ordered[3:]
    ordered = _order(glyphs, direction)  # long: one row, "NN L" then "NNNN"
    return ordered[:3], ordered[3:]


def _reading_direction(board: Detection, glyphs: Sequence[Detection]) -> np.ndarray:
    """Unit vector along the text: the board outline's long side, else the glyph centres' axis."""
    if board.polygon is not None and len(board.polygon) >= 3:
        (_, _), (w, h), angle = cv2.minAreaRect(np.asarray(board.polygon, np.float32))
        theta = np.deg2rad(angle if w >= h else angle + 90.0)
        vec = np.array([np.cos(theta), np.sin(theta)])
    else:
        pts = np.array([g.center for g in glyphs], float)
        vec = np.array([1.0, 0.0])
        if len(pts) >= 2 and BOARD_CLASSES[board.label] == "long":
            centred = pts - pts.mean(axis=0)
            vec = np.linalg.svd(centred, full_matrices=False)[2][0]
    return vec if vec[0] >= 0 else -vec


def _order(glyphs: list[Detection], direction: np.ndarray) -> list[Detection]:
    return sorted(glyphs, key=lambda g: float(np.dot(g.center, direction)))


def _keep_best(glyphs: list[Detection], n: int) -> list[Detection]:
    """At most ``n`` glyphs: the highest-scoring ones (false positives score lower)."""
    return sorted(glyphs, key=lambda g: -g.score)[:n] if len(glyphs) > n else glyphs


def _best(dets: list[Detection]) -> Detection | None:
    return max(dets, key=lambda d: d.score) if dets else None


def _nms(dets: list[Detection], iou_threshold: float) -> list[Detection]:
    """Class-agnostic greedy NMS: the higher score wins among overlapping detections."""
    kept: list[Detection] = []
    for d in sorted(dets, key=lambda d: -d.score):
        if all(box_iou(d.bbox, k.bbox) <= iou_threshold for k in kept):
            kept.append(d)
    return kept


def _contains(outer: Detection, point: tuple[float, float]) -> bool:
    if outer.polygon is not None and len(outer.polygon) >= 3:
        return cv2.pointPolygonTest(np.asarray(outer.polygon, np.float32), point, False) >= 0
    x1, y1, x2, y2 = outer.bbox
    return x1 <= point[0] <= x2 and y1 <= point[1] <= y2


def _dist(a: tuple[float, float], b: tuple[float, float]) -> float:
    return float(np.hypot(a[0] - b[0], a[1] - b[1]))


def box_iou(a: Box, b: Box) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0
