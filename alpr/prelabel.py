"""Pre-labelling: a photo's plate readings as a labelme file, so that a person corrects the
model's work in labelme instead of drawing every polygon from nothing. The corrected folder
goes back through ``ingest`` like any annotated folder."""

from __future__ import annotations

from collections.abc import Sequence

from alpr.boxes import Box, box_overlaps, union_box
from alpr.classes import PART_CLASSES
from alpr.labelme import labelme_document, polygon_shape
from alpr.postprocess import Detection, PlateReading

#: a number area reaches this far beyond its glyphs, in glyph heights (as drawn plates have it)
AREA_PADDING = 0.15
#: a board detection outlines a reading's plate if their boxes overlap at least this much (IoU)
BOARD_MATCH_IOU = 0.3


def prelabel_document(readings: Sequence[PlateReading], detections: Sequence[Detection], image_path: str,
                      width: int, height: int) -> dict:
    """The labelme file of one photo: per valid reading (one ``group_id`` each) its board (the
    detected board's outline where one matches, else the reading's box) with the reading in its
    description ("regular:51A1234", as annotated sets have it), its sub- and main-number areas
    and its seven glyphs, each labelled with the class read there (when the reading has glyph
    boxes: the plate reader reads a board without them)."""
    shapes = []
    for group, reading in enumerate((r for r in readings if r.valid), start=1):
        names = PART_CLASSES[reading.shape]
        board = _board_outline(reading, detections, names["board"]) or _rectangle(reading.bbox)
        shapes.append(polygon_shape(names["board"], _clipped(board, width, height), group,
                                    f"{reading.shape}:{reading.text}"))
        glyphs = reading.glyphs
        if len(glyphs) != 7:  # read by the plate reader alone: no glyph boxes to offer
            continue
        pad = AREA_PADDING * sum(g.bbox[3] - g.bbox[1] for g in glyphs) / len(glyphs)
        for key, part in (("sub", glyphs[:3]), ("main", glyphs[3:])):
            x1, y1, x2, y2 = union_box(g.bbox for g in part)
            area = _rectangle((x1 - pad, y1 - pad, x2 + pad, y2 + pad))
            shapes.append(polygon_shape(names[key], _clipped(area, width, height), group))
        shapes += [polygon_shape(g.label, _clipped(_rectangle(g.bbox), width, height), group) for g in glyphs]
    return labelme_document(shapes, image_path, width, height)


def _board_outline(reading: PlateReading, detections: Sequence[Detection], label: str
                   ) -> tuple[tuple[float, float], ...] | None:
    boards = [d for d in detections if d.label == label and d.polygon]
    if not boards:
        return None
    best = max(boards, key=lambda d: box_overlaps(d.bbox, reading.bbox))
    return best.polygon if box_overlaps(best.bbox, reading.bbox) >= BOARD_MATCH_IOU else None


def _rectangle(box: Box) -> list[tuple[float, float]]:
    x1, y1, x2, y2 = box
    return [(x1, y1), (x2, y1), (x2, y2), (x1, y2)]


def _clipped(points, width: int, height: int) -> list[tuple[float, float]]:
    """Inside the photo, as labelme files must be."""
    return [(min(max(x, 0.0), float(width)), min(max(y, 0.0), float(height))) for x, y in points]
