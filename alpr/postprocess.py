"""Turn detections (class, score, box, optional outline) into licence-plate readings.

A board the plate reader read (``Detection.text``, alpr/model/plate_reader.py) reads as it
says, scored board x reader confidence (``ReadOptions.reader``: or only when its glyphs fail),
with the shape its outline's proportions show and the box of the tightest board that read
that text surely; unless the board was detected too short (a wider board reads another text surely, or a glyph of
a valid, different glyph reading of the plate lies partly off it): then that reads it.
Boards the reader read that overlap no surer read board are plates of their own, even when a
board detected too large joined them into one group.
Otherwise, for each plate (overlapping board detections are one plate: the strongest board is its
region, or, when that reads no valid plate, the strongest joined with another of the group,
then all of them, then all of them joined with the number areas they overlap: a detector often
gives a long board as fragments, or one box too large or too short; a sub- and main-number
area pair on no board stands for a board the detector missed): take the glyphs whose centres
lie on it, group overlapping ones into glyph positions (a detector often gives two classes at
one place), keep the seven strongest positions (those in the detected number areas first),
split them by the plate's geometry (long: the first three along the reading direction are
"NN L", the last four "NNNN"; regular: the upper row is "NN L", the lower "NNNN") and read
each position as the best-scoring class its place in the grammar allows: a "B" that also
looks a little like an "8" reads "B" in the letter's place. A board whose reading fails
leaves its glyphs to the next board. Seven positions that do not lie as the board's shape has
them (one row for long, two rows for regular) are no reading of it: the group's boards of the
other shape are tried next. A reading's box is the region read, cut to its glyphs and a board's
margin around them. Pure function; no model needed."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import cv2
import numpy as np

from alpr.boxes import Box, box_gap, box_overlaps, greedy_groups, iou_above, union_box
from alpr.classes import BOARD_CLASSES, DIGITS, GLYPH_CLASSES, LETTERS, PART_CLASSES

#: glyph detections overlapping more than this (IoU), whatever their classes, are one glyph
#: seen as several classes (post-processing's glyph positions, the detector's second look)
GLYPH_GROUP_IOU = 0.4


@dataclass(frozen=True)
class Detection:
    label: str
    score: float
    bbox: Box
    #: outline of the mask in image pixels, when the detector gives one
    polygon: tuple[tuple[float, float], ...] | None = None
    #: a board's text as the plate reader read it ("51a1234"; "" if none) and its confidence
    text: str = ""
    text_score: float = 0.0

    @property
    def center(self) -> tuple[float, float]:
        x1, y1, x2, y2 = self.bbox
        return (x1 + x2) / 2, (y1 + y2) / 2

    @property
    def outline_box(self) -> Box:
        """The box around the outline (its vertices are pixels: the box takes them whole), else
        ``bbox``. A mask is often tighter than its box: a board boxed with a third of the scene
        around it may still have a mask fitting the plate."""
        if self.polygon is None or len(self.polygon) < 3:
            return self.bbox
        xs, ys = [x for x, _ in self.polygon], [y for _, y in self.polygon]
        return min(xs), min(ys), max(xs) + 1.0, max(ys) + 1.0


@dataclass(frozen=True)
class ReadOptions:
    board_threshold: float = 0.3
    #: weaker boards may still widen a plate's region as fragments of a board above board_threshold
    fragment_threshold: float = 0.1
    part_threshold: float = 0.1
    #: low on purpose: a glyph position keeps every class seen there and only the seven
    #: strongest positions count, so weak second choices help and rarely hurt
    glyph_threshold: float = 0.1
    #: boards overlapping more than this (IoU) are parts of one plate
    board_merge_iou: float = 0.3
    #: a board with more than this fraction of its box inside another is a part of that plate
    board_fragment_inside: float = 0.6
    #: glyph centres up to this fraction of the board's short side outside its outline still count
    board_margin: float = 0.15
    #: glyphs overlapping more than this (IoU) are one glyph position, whatever their classes
    glyph_group_iou: float = GLYPH_GROUP_IOU
    #: a sub- and a main-number area of one shape, next to each other and on no board, both
    #: scoring this, stand for a plate whose board the detector missed
    area_plate_threshold: float = 0.3
    include_invalid: bool = False
    #: a board the plate reader read reads as the reader says ("first"), only when its glyphs
    #: read no valid plate ("fallback"), or from its glyphs alone ("off")
    reader: Literal["first", "fallback", "off"] = "first"
    #: a board the plate reader read this surely starts a plate even below ``board_threshold``
    #: (a weak board reading a whole plate's text is a plate: 0.983 instead of 0.979 of 470
    #: generated plates, 0.737 instead of 0.721 of 380 foreign ones, precision unchanged)
    reader_start_confidence: float = 0.9


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


@dataclass
class GlyphSlot:
    """One glyph position: its best-scoring detection and the best score of every class seen there."""

    best: Detection
    scores: dict[str, float]

    @property
    def score(self) -> float:
        return self.best.score

    @property
    def center(self) -> tuple[float, float]:
        return self.best.center

    def read(self, allowed: Collection[str]) -> Detection | None:
        """The best-scoring class among ``allowed`` at this position, or None if none was seen."""
        candidates = [(score, label) for label, score in self.scores.items() if label in allowed]
        if not candidates:
            return None
        score, label = max(candidates)
        return Detection(label, score, self.best.bbox, self.best.polygon)


def read_plates(detections: Iterable[Detection], options: ReadOptions = ReadOptions()) -> list[PlateReading]:
    """Plate readings, best score first; invalid plates only with ``include_invalid``."""
    dets = list(detections)
    plates = group_boards([d for d in dets if d.label in BOARD_CLASSES and d.score >= options.fragment_threshold], options)
    glyphs = [d for d in dets if d.label in GLYPH_CLASSES and d.score >= options.glyph_threshold]
    parts = [
        d
        for d in dets
        if d.label in _AREA_CLASSES and d.score >= options.part_threshold
    ]
    plates += plates_from_areas(parts, plates, options)
    if options.reader != "off":
        plates = [part for group in plates for part in _split_by_text(group, options)]
    taken: set[int] = set()
    readings = []
    for group in plates:
        reading = _read_plate(group, glyphs, taken, parts, options)
        if reading.valid or options.include_invalid:
            readings.append(reading)
    return sorted(readings, key=lambda r: -r.score)


def _split_by_text(group: list[Detection], options: ReadOptions) -> list[list[Detection]]:
    """One plate per board the plate reader read that overlaps no surer read board of the group:
    a board detected too large (two stacked plates in one box) joins both plates' boards into
    one group, and their texts are two plates. Each other board goes with the first of those
    it overlaps, else with the first."""
    read = [b for b in group if b.text]
    leads: list[Detection] = []
    for board in sorted(read, key=lambda b: -b.score * b.text_score):
        if _joins_plates(board, read, options):
            continue
        if not any(_overlaps(board.bbox, lead.bbox, options) for lead in leads):
            leads.append(board)
    if len(leads) < 2:
        return [group]
    parts: list[list[Detection]] = [[] for _ in leads]
    for board in group:
        at = next((i for i, lead in enumerate(leads) if board is lead or _overlaps(board.bbox, lead.bbox, options)), 0)
        parts[at].append(board)
    return [part for part in parts if part]


def _joins_plates(board: Detection, read: list[Detection], options: ReadOptions) -> bool:
    """Whether ``board`` holds two read boards that read different texts and lie apart: it joins
    two plates, whatever it read itself (a board detected too large often reads one of them
    surely, and would lead the group)."""
    inside = [b for b in read
              if b is not board and box_overlaps(b.bbox, board.bbox, "iof") >= options.board_fragment_inside]
    return any(a.text != b.text and not _overlaps(a.bbox, b.bbox, options)
               for i, a in enumerate(inside) for b in inside[i + 1:])


def _read_plate(
    group: list[Detection], glyphs: list[Detection], taken: set[int], parts: list[Detection], options: ReadOptions
) -> PlateReading:
    """The plate reader's text of the group's boards when ``options.reader`` puts it first
    (the glyphs on the plate's board then join ``taken``), else the first valid reading from
    glyphs among the plate's candidate regions (those glyphs join ``taken``), else the reader's
    text, else the strongest board's failed reading from glyphs."""
    read, board = (_text_reading(group, options) if options.reader != "off" else None) or (None, None)
    if read is not None and options.reader == "first":
        # the reader's box is a board's: a glyph reading's region may be a merged one, and
        # taking its box read 0.955 instead of 0.973 of 221 plates (bench/plate_reader.py)
        from_glyphs = _read_glyphs(group, glyphs, set(taken), parts, options)
        same_plate = from_glyphs.valid and box_overlaps(read.bbox, from_glyphs.bbox) >= SAME_PLATE_IOU
        seen = union_box(b.bbox for b in group if b.text == read.text.lower())
        text = _with_cut_glyphs(read.text, seen, from_glyphs) if same_plate else read.text
        if text != read.text:
            # the reader saw a board detected too short and guessed (surely) the glyphs it cut off:
            # those come from the detector's glyphs, the rest from the reader
            reading = _read_glyphs(group, glyphs, taken, parts, options)  # the same, its glyphs taken
            reading.region, reading.vehicle_type, reading.serial = text[:2], text[2], text[3:]
            reading.glyphs = [replace(g, label=ch) for g, ch in zip(reading.glyphs, text.lower())]
            return reading
        if same_plate:  # glyph boxes for pre-labelling, with the reader's characters
            read.glyphs = [replace(g, label=ch) for g, ch in zip(from_glyphs.glyphs, read.text.lower())]
        taken.update(i for i, g in enumerate(glyphs) if _contains(group[0], g.center))
        return replace(read, bbox=board.outline_box)
    from_glyphs = _read_glyphs(group, glyphs, taken, parts, options)
    if read is not None and not from_glyphs.valid:
        return replace(read, bbox=board.outline_box)
    return from_glyphs


def _read_glyphs(
    group: list[Detection], glyphs: list[Detection], taken: set[int], parts: list[Detection], options: ReadOptions
) -> PlateReading:
    first: PlateReading | None = None
    for region in _regions(group, parts):
        margin = options.board_margin * min(region.bbox[2] - region.bbox[0], region.bbox[3] - region.bbox[1])
        own = [i for i, g in enumerate(glyphs) if i not in taken and _contains(region, g.center, margin)]
        reading = _read_board(region, [glyphs[i] for i in own], parts, options)
        if reading.valid:
            taken.update(own)
            return reading
        first = first or reading
    assert first is not None  # a group holds at least one board
    return first


def _text_reading(group: list[Detection], options: ReadOptions) -> tuple[PlateReading, Detection] | None:
    """The reading of the group's board the plate reader read most surely (board score x
    text confidence), unless a board read otherwise and surely reaches past it (``_reads_past``),
    if it read any; its shape as the board's outline shows it (``board_shape``). Its box is the
    smallest of the boards that read its text surely (``reader_start_confidence``): a board the
    whole text was read from holds the whole plate, and a looser one often scores higher.
    Returned with that board: a plate read from the reader's text takes the box around its
    outline (``Detection.outline_box``), as tight as the mask (boxes read right but 0.4-0.5 IoU
    off the plate had masks 0.9 on it); its detection box is the one compared with glyph readings."""
    read = sorted((b for b in group if b.text), key=lambda b: -b.score * b.text_score)
    if not read:
        return None
    board = next((b for b in read[1:] if _reads_past(b, read[0], options)), read[0])
    text = board.text
    sure = [b for b in read if b.text == text and b.text_score >= options.reader_start_confidence]
    boxed = min(sure + [board], key=lambda b: (b.bbox[2] - b.bbox[0]) * (b.bbox[3] - b.bbox[1]))
    return PlateReading(shape=board_shape(board), bbox=boxed.bbox, score=board.score * board.text_score,
                        region=text[:2], vehicle_type=text[2].upper(), serial=text[3:]), boxed


#: a board reaching past another by this fraction of the other's width holds glyphs it lacks, if
#: it reaches at most ``PAST_MAX_FRACTION`` past it in all, across and (of its height) up and
#: down: a board cut short lacks a glyph or two, and one reaching far further holds more than this
#: plate (a plate beside it, whose text it read); boards cut short were reached 0.26-0.35 past,
#: such a board 1.9 (generated photos); a box around two plates, one below the other, reached
#: 0.46 past the upper plate's ends but 3.6 times its height below it (a 640x480 photo)
PAST_FRACTION = 0.1
PAST_MAX_FRACTION = 0.6


def _reads_past(wide: Detection, board: Detection, options: ReadOptions) -> bool:
    """Whether ``wide``, read surely (``reader_start_confidence``) as another text, holds most of
    ``board`` and reaches a little past one of its ends: ``board`` was detected too short, and
    its text guesses the glyph it lacks (a weaker but wider board reads the whole plate)."""
    (x1, y1, x2, y2), (w1, v1, w2, v2) = board.bbox, wide.bbox
    past = [x1 - w1, w2 - x2]
    beyond = max(y1 - v1, 0.0) + max(v2 - y2, 0.0)
    return (wide.text != board.text and wide.text_score >= options.reader_start_confidence
            and box_overlaps(board.bbox, wide.bbox, "iof") >= 0.8
            and PAST_FRACTION * (x2 - x1) <= max(past) and sum(past) <= PAST_MAX_FRACTION * (x2 - x1)
            and beyond <= PAST_MAX_FRACTION * (y2 - y1))


#: a board's outline at least this many times as long as high is a one-row plate's, at most
#: ``REGULAR_MAX_ASPECT`` a two-row plate's (labelled boards: two-row 1.3-2.05, one-row 3.98-6.6,
#: in the generator's and the foreign renderer's photos); in between the detector's class decides
LONG_MIN_ASPECT = 3.2
REGULAR_MAX_ASPECT = 2.6


def board_shape(board: Detection) -> str:
    """A board's plate shape: from its outline's smallest rotated rectangle when that is clearly
    one-row or two-row, else its class. The detector's class alone is sometimes the other shape
    for a board whose text the reader reads right (a one-row plate's board labelled two-row)."""
    shape = BOARD_CLASSES[board.label]
    if board.polygon is None or len(board.polygon) < 3:
        return shape
    (_, _), (w, h), _ = cv2.minAreaRect(np.asarray(board.polygon, np.float32))
    aspect = max(w, h) / max(min(w, h), 1e-6)
    return "long" if aspect >= LONG_MIN_ASPECT else "regular" if aspect <= REGULAR_MAX_ASPECT else shape


#: a glyph reading and a board overlapping this much (IoU) read the same plate
SAME_PLATE_IOU = 0.5
#: a glyph with more than this fraction of its box off the boards the reader read shows them cut short
CUT_GLYPH_FRACTION = 0.25


def _with_cut_glyphs(text: str, seen: Box, from_glyphs: PlateReading) -> str:
    """The reader's text, with the glyph reading's character at each position whose glyph lies
    partly off ``seen``, the box around every board that read that text: those boards were
    detected too short there, and the reader guessed what they cut off. Only those: where a
    board cut one end, the detector still misreads glyphs elsewhere that the reader reads right
    (on 443 generated plates it read a last digit wrong beside a first digit off the board
    twice; the reader read both plates right); and a glyph one board cut off but another that
    read the same text holds, the reader saw (checked against the smallest such board, a last
    "7" the detector took for a "1" replaced the reader's right "7")."""
    chars = list(text)
    for i, (glyph, ch) in enumerate(zip(from_glyphs.glyphs, from_glyphs.text)):
        if box_overlaps(glyph.bbox, seen, "iof") < 1.0 - CUT_GLYPH_FRACTION:
            chars[i] = ch
    return "".join(chars)


_AREA_CLASSES = frozenset(
    name for shape in PART_CLASSES.values() for key, name in shape.items() if key != "board"
)


def _read_board(
    board: Detection, glyphs: list[Detection], parts: list[Detection], options: ReadOptions
) -> PlateReading:
    shape = BOARD_CLASSES[board.label]
    reading = PlateReading(shape=shape, bbox=board.bbox, score=board.score)
    slots = glyph_slots(glyphs, options.glyph_group_iou)
    reading.glyphs = [s.best for s in slots]
    if len(slots) < 7:
        return _invalid(reading, f"found {len(slots)} glyphs, a plate has 7")
    names = PART_CLASSES[shape]
    areas = [p for p in parts if p.label in (names["sub"], names["main"]) and _contains(board, p.center)]
    in_areas = [s for s in slots if any(_contains(a, s.center) for a in areas)]
    if len(in_areas) >= 7:  # positions outside the number areas are the likelier false ones
        slots = in_areas
    slots = sorted(slots, key=lambda s: -s.score)[:7]
    direction = _reading_direction(board, [s.best for s in slots])
    sub, main = _split_rows(shape, slots, direction)
    layout_error = _layout_error(shape, sub, main, direction)
    if layout_error:
        return _invalid(reading, layout_error)
    ordered = _order(sub, direction) + _order(main, direction)
    roles = [DIGITS, DIGITS, LETTERS, DIGITS, DIGITS, DIGITS, DIGITS]
    read = [slot.read(role) for slot, role in zip(ordered, roles)]
    if any(g is None for g in read):
        text = "".join(slot.best.label for slot in ordered)
        return _invalid(reading, f"'{text}' does not match NN L NNNN")
    glyphs_read = [g for g in read if g is not None]
    labels = [g.label for g in glyphs_read]
    reading.region = "".join(labels[:2])
    reading.vehicle_type = labels[2].upper()
    reading.serial = "".join(labels[3:])
    reading.glyphs = glyphs_read
    reading.score = float(board.score * np.mean([g.score for g in glyphs_read]))
    reading.bbox = _plate_box(board.bbox, glyphs_read)
    return reading


#: how far a plate's board reaches beyond its glyphs, in glyph heights (x, y): generated plates
#: reach at most ~1.1 and ~0.65 (99th percentile over 371 test plates, tilt included)
PLATE_MARGIN = (1.2, 0.8)


def _plate_box(region: Box, glyphs: Sequence[Detection]) -> Box:
    """The plate's box: the region read, cut to where its seven glyphs and a board's margin
    around them can reach (a region joined from fragments, or a false large board, can be
    several times the plate)."""
    height = float(np.mean([g.bbox[3] - g.bbox[1] for g in glyphs]))
    x1, y1, x2, y2 = union_box(g.bbox for g in glyphs)
    mx, my = PLATE_MARGIN[0] * height, PLATE_MARGIN[1] * height
    return (max(region[0], x1 - mx), max(region[1], y1 - my), min(region[2], x2 + mx), min(region[3], y2 + my))


def glyph_slots(glyphs: Iterable[Detection], iou_threshold: float) -> list[GlyphSlot]:
    """Group glyphs overlapping more than ``iou_threshold`` with a stronger one into its position."""
    slots = []
    for group in greedy_groups(glyphs, iou_above(iou_threshold)):
        scores: dict[str, float] = {}
        for g in group:
            scores[g.label] = max(scores.get(g.label, 0.0), g.score)
        slots.append(GlyphSlot(best=group[0], scores=scores))
    return slots


def _invalid(reading: PlateReading, reason: str) -> PlateReading:
    reading.valid = False
    reading.reason = reason
    return reading


def _split_rows(shape: str, slots: list[GlyphSlot], direction: np.ndarray) -> tuple[list[GlyphSlot], list[GlyphSlot]]:
    """Seven positions -> ("NN L", "NNNN") by the plate's layout, in no particular order."""
    if shape == "regular":  # two rows: the upper three across the text direction
        across = np.array([-direction[1], direction[0]])
        ordered = sorted(slots, key=lambda g: float(np.dot(g.center, across)))
    else:  # long: one row, "NN L" then "NNNN"
        ordered = _order(slots, direction)
    return ordered[:3], ordered[3:]


def _layout_error(shape: str, sub: list[GlyphSlot], main: list[GlyphSlot], direction: np.ndarray) -> str:
    """Why seven positions cannot be a plate of ``shape`` ("" if they can): a long plate's glyphs
    lie on one line, a regular plate's in two rows (a long plate's part is often also detected
    as a regular board, and the other way round)."""
    across = np.array([-direction[1], direction[0]])
    height = float(np.median([s.best.bbox[3] - s.best.bbox[1] for s in sub + main]))
    upper = [float(np.dot(s.center, across)) for s in sub]
    lower = [float(np.dot(s.center, across)) for s in main]
    if shape == "regular" and min(lower) - max(upper) < 0.3 * height:
        return "glyphs do not form two rows"
    if shape == "long" and max(upper + lower) - min(upper + lower) > 0.8 * height:
        return "glyphs do not form one row"
    return ""


def group_boards(boards: list[Detection], options: ReadOptions) -> list[list[Detection]]:
    """Board detections per plate, strongest plate first and strongest board first in each:
    a board joins the group of a stronger one it overlaps (IoU, or either lying mostly inside
    the other); one that overlaps none starts a plate if it scores ``board_threshold`` or the
    plate reader read it surely (``reader_start_confidence``)."""
    def may_start(d: Detection) -> bool:
        return d.score >= options.board_threshold or (
            options.reader != "off" and bool(d.text) and d.text_score >= options.reader_start_confidence)

    return greedy_groups(boards, lambda a, b: _overlaps(a, b, options), may_start=may_start)


def _regions(group: list[Detection], parts: list[Detection]) -> list[Detection]:
    """Where one plate may be, most likely first: its strongest board, that board joined with
    each other one, all of them, all of them joined with the number areas of their shape that
    they overlap (a board detected too short cuts off glyphs its areas still hold)."""
    best, rest = group[0], group[1:]
    regions = [best] + [_merged([best, other]) for other in rest]
    if len(rest) > 1:
        regions.append(_merged(group))
    other = [d for d in group if d.label != best.label]
    if other:  # the group's boards disagree on the shape: the other shape's strongest board, all as it
        regions += [other[0], _merged(other + [d for d in group if d.label == best.label])]
    names = PART_CLASSES[BOARD_CLASSES[best.label]]
    union = _union_box(group)
    areas = [p for p in parts if p.label in (names["sub"], names["main"])
             and 0.0 < box_overlaps(p.bbox, union, "iof") < 1.0]
    if areas:
        regions.append(_merged(group + areas))
    return regions


def plates_from_areas(parts: list[Detection], groups: list[list[Detection]], options: ReadOptions) -> list[list[Detection]]:
    """Plates whose board the detector missed: a main-number area off every board with the
    sub-number area of its shape next to it (within the main area's short side) stands for a
    board covering both (padded by a fifth of that side), scored as the weaker of the two."""
    regions = [_union_box(g) for g in groups]
    strong = sorted((p for p in parts if p.score >= options.area_plate_threshold), key=lambda p: -p.score)
    used: set[int] = set()
    out: list[list[Detection]] = []
    for main in (p for p in strong if p.label in _MAIN_AREA_SHAPE):
        if _mostly_on_any(main.bbox, regions):
            continue
        shape = _MAIN_AREA_SHAPE[main.label]
        reach = min(main.bbox[2] - main.bbox[0], main.bbox[3] - main.bbox[1])
        subs = [i for i, p in enumerate(strong) if p.label == PART_CLASSES[shape]["sub"] and i not in used
                and box_gap(p.bbox, main.bbox) <= reach and not _mostly_on_any(p.bbox, regions)]
        if not subs:
            continue
        used.add(subs[0])
        box = _union_box([strong[subs[0]], main])
        pad = 0.2 * reach
        board = Detection(PART_CLASSES[shape]["board"], min(main.score, strong[subs[0]].score),
                          (box[0] - pad, box[1] - pad, box[2] + pad, box[3] + pad))
        regions.append(board.bbox)
        out.append([board])
    return out


_MAIN_AREA_SHAPE = {names["main"]: shape for shape, names in PART_CLASSES.items()}


def _mostly_on_any(box: Box, regions: list[Box]) -> bool:
    return any(box_overlaps(box, r, "iof") > 0.5 for r in regions)


def _overlaps(a: Box, b: Box, options: ReadOptions) -> bool:
    """Two boards of one plate: they overlap (IoU), or either lies mostly inside the other."""
    inside = options.board_fragment_inside
    return (box_overlaps(a, b) > options.board_merge_iou or box_overlaps(a, b, "iof") > inside
            or box_overlaps(b, a, "iof") > inside)


def _union_box(dets: list[Detection]) -> Box:
    return union_box(d.bbox for d in dets)


def _merged(group: list[Detection]) -> Detection:
    """The union of boards: their union box and the convex hull of their outlines."""
    best = group[0]
    polygon = None
    if all(d.polygon is not None and len(d.polygon) >= 3 for d in group):
        points = np.concatenate([np.asarray(d.polygon, np.float32) for d in group])
        polygon = tuple((float(x), float(y)) for x, y in cv2.convexHull(points)[:, 0])
    return Detection(best.label, best.score, _union_box(group), polygon)


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


def _order(glyphs: list[GlyphSlot], direction: np.ndarray) -> list[GlyphSlot]:
    return sorted(glyphs, key=lambda g: float(np.dot(g.center, direction)))


def _contains(outer: Detection, point: tuple[float, float], margin: float = 0.0) -> bool:
    """Whether ``point`` lies on ``outer`` (its outline when known), or within ``margin`` pixels."""
    x1, y1, x2, y2 = outer.bbox
    if not (x1 - margin <= point[0] <= x2 + margin and y1 - margin <= point[1] <= y2 + margin):
        return False
    if outer.polygon is not None and len(outer.polygon) >= 3:
        outline = np.asarray(outer.polygon, np.float32)
        return cv2.pointPolygonTest(outline, (float(point[0]), float(point[1])), margin > 0) >= -margin
    return True
