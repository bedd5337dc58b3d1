"""Draw one licence plate in its own (plate-local) pixel frame, with tight part boxes.

A plate is drawn large (main-row glyphs 48 px high) and later warped down into the scene,
which anti-aliases it. Every glyph is rendered alone first (``alpr.synth.fonts``), so its box
is exactly the pixels it inked: the annotation is tight by construction, not estimated. What
a plate looks like (font, weight, rows, spacing, border, paint) is sampled from the options
and kept with the drawing, so failures can be counted by style.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from alpr.classes import PART_CLASSES, PlateShape
from alpr.synth.fonts import glyph_mask
from alpr.synth.options import SynthOptions

#: (board colour, ink colour) in BGR
COLOUR_SCHEMES: tuple[tuple[tuple[int, int, int], tuple[int, int, int]], ...] = (
    ((245, 245, 245), (20, 20, 20)),  # white / black
    ((40, 200, 235), (15, 15, 15)),  # yellow / black
    ((170, 90, 30), (250, 250, 250)),  # blue / white
    ((60, 140, 40), (250, 250, 250)),  # green / white
    ((190, 190, 185), (30, 30, 30)),  # grey / black
    ((40, 40, 190), (245, 245, 245)),  # red / white
)
GLYPH_HEIGHT = 48  # plate-local pixels


Box = tuple[float, float, float, float]  # x1, y1, x2, y2 (x2, y2 exclusive)


@dataclass(frozen=True)
class PlateText:
    """What a plate says: region "NN", vehicle-type letter "A".."E", serial "NNNN"."""

    region: str
    letter: str
    serial: str

    @property
    def text(self) -> str:
        return f"{self.region}{self.letter}{self.serial}"


@dataclass
class PlateDrawing:
    """A plate image and its annotated parts, all in plate-local pixels."""

    shape: PlateShape
    text: PlateText
    image: np.ndarray  # HxWx3 uint8
    #: (label, box) for the sub-number area, main-number area and each glyph
    parts: list[tuple[str, Box]] = field(default_factory=list)
    #: HxW float32 coverage in [0, 1] (rounded corners); None: the whole rectangle is plate
    alpha: np.ndarray | None = None
    #: how it was drawn (font, weight, border, paint...): for failure analysis
    style: dict = field(default_factory=dict)

    @property
    def size(self) -> tuple[int, int]:
        h, w = self.image.shape[:2]
        return w, h

    @property
    def board_label(self) -> str:
        return PART_CLASSES[self.shape]["board"]


def random_plate_text(rng: np.random.Generator) -> PlateText:
    """Uniform region 00-99, letter A-E, serial 0000-9999 (so every digit occurs)."""
    return PlateText(
        region=f"{int(rng.integers(0, 100)):02d}",
        letter="ABCDE"[int(rng.integers(0, 5))],
        serial=f"{int(rng.integers(0, 10000)):04d}",
    )


GLYPHS = "0123456789ABCDE"


def draw_plate(
    shape: PlateShape, text: PlateText, rng: np.random.Generator, options: SynthOptions | None = None
) -> PlateDrawing:
    """Draw a regular (two rows: "NN L" over "NNNN") or long ("NN L NNNN") plate."""
    options = options or SynthOptions()
    h = GLYPH_HEIGHT
    style = {
        "font": options.fonts[int(rng.integers(0, len(options.fonts)))],
        "weight": round(float(rng.uniform(*options.stroke_weight)), 2),
        "slant": round(float(rng.uniform(0.05, options.max_slant)) if rng.random() < options.slant_probability
                       and options.max_slant > 0 else 0.0, 2),
        "fixed_pitch": bool(rng.random() < options.fixed_pitch_probability),
        "sub_row_scale": round(float(rng.uniform(*options.sub_row_scale)), 2) if shape == "regular" else 1.0,
        "border": options.border_styles[int(rng.integers(0, len(options.border_styles)))],
    }
    gap = rng.uniform(*options.glyph_spacing) * h  # between glyphs of a group
    group_gap = gap + rng.uniform(0.25, 0.6) * h  # between "NN" and "L", and "L" and "NNNN"
    margin_x = rng.uniform(0.3, 0.6) * h
    margin_y = rng.uniform(0.25, 0.45) * h
    board, ink, style["paint"] = _colours(rng, options)

    sub_groups, main_groups = [list(text.region), [text.letter]], [list(text.serial)]
    if shape == "regular":
        sub_h = round(h * style["sub_row_scale"])
        rows = [(sub_groups, sub_h, "sub"), (main_groups, h, "main")]
        row_gap = rng.uniform(0.2, 0.4) * h
    else:
        rows = [(sub_groups + main_groups, h, "long")]
        row_gap = 0.0
    laid = [_lay_out_row(groups, row_h, gap, group_gap, style) for groups, row_h, _ in rows]
    width = int(np.ceil(max(row_w for _, row_w in laid) + 2 * margin_x))
    height = int(np.ceil(sum(row_h for _, row_h, _ in rows) + row_gap * (len(rows) - 1) + 2 * margin_y))

    image = np.empty((height, width, 3), np.float32)
    image[:] = board
    ink_mask = np.zeros((height, width), np.float32)
    classes = PART_CLASSES[shape]
    parts: list[tuple[str, Box]] = []
    top = margin_y
    separator = None
    for (groups, row_h, area), (cells, row_w) in zip(rows, laid):
        left = (width - row_w) / 2
        boxes: dict[str, list[Box]] = {"sub": [], "main": []}
        for i, (ch, mask, x, cell_w) in enumerate(cells):
            box = _ink(ink_mask, mask, left + x + (cell_w - mask.shape[1]) / 2, top + (row_h - mask.shape[0]) / 2)
            parts.append((ch.lower(), box))
            boxes["sub" if area == "sub" or (area == "long" and i < 3) else "main"].append(box)
        if area != "main":  # a dash may go in the gap before the letter (regular) or the serial (long)
            (_, _, x_before, w_before), (_, _, x_after, _) = cells[1:3] if area == "sub" else cells[2:4]
            separator = (left + x_before + w_before, left + x_after, top + row_h / 2, row_h)
        for which in ("sub", "main"):
            if boxes[which]:
                parts.append((classes[which], _pad_union(boxes[which], pad=h / 8, width=width, height=height)))
        top += row_h + row_gap
    style["decorated"] = bool(rng.random() < options.decoration_probability)
    if style["decorated"]:
        _decorate(ink_mask, separator, margin_y, rng)

    image = image * (1.0 - ink_mask[..., None]) + np.asarray(ink, np.float32) * ink_mask[..., None]
    alpha = _border(image, style["border"], ink, rng)
    if rng.random() < options.board_texture_probability:
        style["texture"] = _texture(image, rng)
    return PlateDrawing(shape=shape, text=text, image=np.clip(image, 0, 255).astype(np.uint8), parts=parts,
                        alpha=alpha, style=style)


def _colours(rng: np.random.Generator, options: SynthOptions):
    """(board, ink, kind): a known scheme, or random colours with a clear lightness gap."""
    if rng.random() >= options.random_colour_probability:
        board, ink = COLOUR_SCHEMES[int(rng.integers(0, len(COLOUR_SCHEMES)))]
        return board, ink, "scheme"
    light = rng.uniform(170, 255, 3) * rng.uniform(0.85, 1.0)
    dark = rng.uniform(0, 80, 3)
    return (tuple(light), tuple(dark), "random") if rng.random() < 0.7 else (tuple(dark), tuple(light), "random")


def _lay_out_row(groups: list[list[str]], row_h: int, gap: float, group_gap: float, style: dict):
    """[(char, mask, x, cell width)] of one row from x = 0, and the row's width."""
    masks = [[(ch, glyph_mask(style["font"], ch, row_h, style["weight"], style["slant"])) for ch in g] for g in groups]
    cell = None
    if style["fixed_pitch"]:
        cell = max(glyph_mask(style["font"], c, row_h, style["weight"], style["slant"]).shape[1] for c in GLYPHS)
    cells, x = [], 0.0
    for gi, group in enumerate(masks):
        if gi:
            x += group_gap - gap
        for ch, mask in group:
            w = cell or mask.shape[1]
            cells.append((ch, mask, x, w))
            x += w + gap
    return cells, x - gap


def _ink(ink_mask: np.ndarray, mask: np.ndarray, x: float, y: float) -> Box:
    """Lay one glyph's ink at (x, y); the box of its own pixels."""
    x0, y0 = round(x), round(y)
    gh, gw = mask.shape
    region = ink_mask[y0:y0 + gh, x0:x0 + gw]
    np.maximum(region, mask[:region.shape[0], :region.shape[1]] / 255.0, out=region)
    ys, xs = np.nonzero(mask > 64)
    return float(x0 + xs.min()), float(y0 + ys.min()), float(x0 + xs.max() + 1), float(y0 + ys.max() + 1)


def _decorate(ink_mask: np.ndarray, separator, margin_y: float, rng: np.random.Generator) -> None:
    """A dash between groups and two screws in the top margin: ink that is no glyph."""
    w = ink_mask.shape[1]
    if separator is not None:
        x1, x2, yc, row_h = separator
        length, thick = (x2 - x1) * rng.uniform(0.3, 0.55), max(2, int(row_h * 0.08))
        xc = (x1 + x2) / 2
        cv2.line(ink_mask, (int(xc - length / 2), int(yc)), (int(xc + length / 2), int(yc)), 1.0, thick)
    radius = int(min(GLYPH_HEIGHT * 0.07, margin_y * 0.3))
    if radius >= 2:
        for x in (w * 0.22, w * 0.78):
            cv2.circle(ink_mask, (int(x), int(margin_y / 2)), radius, 0.6, -1, cv2.LINE_AA)


def _border(image: np.ndarray, kind: str, ink, rng: np.random.Generator) -> np.ndarray | None:
    """Paint the border; a rounded board gives its coverage (transparent corners)."""
    h, w = image.shape[:2]
    if kind == "thin":
        inset, thick = int(rng.integers(2, 6)), int(rng.integers(1, 4))
        cv2.rectangle(image, (inset, inset), (w - 1 - inset, h - 1 - inset), ink, thick)
    elif kind == "thick":
        thick = int(rng.integers(4, 9))
        cv2.rectangle(image, (0, 0), (w - 1, h - 1), ink, 2 * thick)
    elif kind == "rounded":
        radius = int(rng.uniform(0.1, 0.25) * min(w, h))
        cover = np.zeros((h, w), np.uint8)
        _rounded_rect(cover, (0, 0, w - 1, h - 1), radius, 255, -1)
        inset = int(rng.integers(3, 7))
        _rounded_rect(image, (inset, inset, w - 1 - inset, h - 1 - inset), max(radius - inset, 1), ink,
                      int(rng.integers(1, 4)))
        return cv2.GaussianBlur(cover, (3, 3), 0).astype(np.float32) / 255.0
    return None


def _rounded_rect(image: np.ndarray, rect, r: int, colour, thickness: int) -> None:
    x1, y1, x2, y2 = rect
    if thickness < 0:
        cv2.rectangle(image, (x1 + r, y1), (x2 - r, y2), colour, -1)
        cv2.rectangle(image, (x1, y1 + r), (x2, y2 - r), colour, -1)
    else:
        for a, b in (((x1 + r, y1), (x2 - r, y1)), ((x1 + r, y2), (x2 - r, y2)),
                     ((x1, y1 + r), (x1, y2 - r)), ((x2, y1 + r), (x2, y2 - r))):
            cv2.line(image, a, b, colour, thickness, cv2.LINE_AA)
    for cx, cy, angle in ((x1 + r, y1 + r, 180), (x2 - r, y1 + r, 270), (x2 - r, y2 - r, 0), (x1 + r, y2 - r, 90)):
        cv2.ellipse(image, (cx, cy), (r, r), angle, 0, 90, colour, thickness, cv2.LINE_AA)


def _texture(image: np.ndarray, rng: np.random.Generator) -> str:
    """Paint that is not flat: a lighting gradient, speckle, or low-frequency grime."""
    h, w = image.shape[:2]
    kind = ("gradient", "speckle", "grime")[int(rng.integers(0, 3))]
    if kind == "gradient":
        ramp = np.linspace(rng.uniform(0.75, 1.0), rng.uniform(1.0, 1.15), w if rng.random() < 0.5 else h)
        image *= (ramp[None, :, None] if len(ramp) == w else ramp[:, None, None]).astype(np.float32)
    elif kind == "speckle":
        image += rng.normal(0.0, rng.uniform(5, 14), (h, w, 1)).astype(np.float32)
    else:
        dirt = cv2.resize(rng.random((max(h // 12, 2), max(w // 12, 2))).astype(np.float32), (w, h))
        image *= (1.0 - rng.uniform(0.15, 0.35) * dirt)[..., None]
    return kind


def _pad_union(boxes: list[Box], pad: float, width: int, height: int) -> Box:
    x1 = min(b[0] for b in boxes) - pad
    y1 = min(b[1] for b in boxes) - pad
    x2 = max(b[2] for b in boxes) + pad
    y2 = max(b[3] for b in boxes) + pad
    return max(x1, 0.0), max(y1, 0.0), min(x2, float(width)), min(y2, float(height))
