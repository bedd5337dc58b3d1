"""Draw one licence plate in its own (plate-local) pixel frame, with tight part boxes.

A plate is drawn large (glyphs ~48 px high) and later warped down into the scene, which
anti-aliases it. Every glyph is drawn on its own mask first, so its box is exactly the
pixels it inked: the annotation is tight by construction, not estimated.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from alpr.classes import PART_CLASSES, PlateShape

FONTS: tuple[int, ...] = (
    cv2.FONT_HERSHEY_SIMPLEX,
    cv2.FONT_HERSHEY_DUPLEX,
    cv2.FONT_HERSHEY_COMPLEX,
    cv2.FONT_HERSHEY_TRIPLEX,
)
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


def draw_plate(shape: PlateShape, text: PlateText, rng: np.random.Generator) -> PlateDrawing:
    """Draw a regular (two rows: "NN L" over "NNNN") or long ("NN L NNNN") plate."""
    font = FONTS[int(rng.integers(0, len(FONTS)))]
    thickness = int(rng.integers(3, 7))
    board, ink = COLOUR_SCHEMES[int(rng.integers(0, len(COLOUR_SCHEMES)))]
    scale = _font_scale(font, thickness)
    gap = int(rng.integers(6, 14))  # between glyphs of a group
    group_gap = int(rng.integers(18, 34))  # between "NN" and "L", and "L" and "NNNN"
    margin_x = int(rng.integers(14, 28))
    margin_y = int(rng.integers(12, 22))

    sub_groups = [list(text.region), [text.letter]]
    main_groups = [list(text.serial)]
    glyph_w = _glyph_advance(font, scale, thickness)
    if shape == "regular":
        rows = [sub_groups, main_groups]
        row_widths = [_row_width(r, glyph_w, gap, group_gap) for r in rows]
        width = max(row_widths) + 2 * margin_x
        row_gap = int(rng.integers(10, 20))
        height = 2 * GLYPH_HEIGHT + row_gap + 2 * margin_y
        row_tops = [margin_y, margin_y + GLYPH_HEIGHT + row_gap]
        row_lefts = [(width - rw) // 2 for rw in row_widths]
        layout = list(zip(rows, row_tops, row_lefts, ("sub", "main")))
    else:
        groups = sub_groups + main_groups
        total = _row_width(groups, glyph_w, gap, group_gap)
        width = total + 2 * margin_x
        height = GLYPH_HEIGHT + 2 * margin_y
        sub_w = _row_width(sub_groups, glyph_w, gap, group_gap)
        layout = [
            (sub_groups, margin_y, margin_x, "sub"),
            (main_groups, margin_y, margin_x + sub_w + group_gap, "main"),
        ]

    image = np.empty((height, width, 3), np.uint8)
    image[:] = board
    border = int(rng.integers(0, 4))
    if border:
        cv2.rectangle(image, (border, border), (width - 1 - border, height - 1 - border), ink, border)

    classes = PART_CLASSES[shape]
    parts: list[tuple[str, Box]] = []
    ink_mask = np.zeros((height, width), np.uint8)
    for groups, top, left, area in layout:
        boxes: list[Box] = []
        x = left
        for gi, group in enumerate(groups):
            if gi:
                x += group_gap - gap
            for ch in group:
                box = _draw_glyph(ink_mask, ch, x, top, font, scale, thickness)
                parts.append((ch.lower(), box))
                boxes.append(box)
                x += glyph_w + gap
        parts.append((classes[area], _pad_union(boxes, pad=6, width=width, height=height)))
    alpha = (ink_mask.astype(np.float32) / 255.0)[..., None]
    image = (image * (1.0 - alpha) + np.array(ink, np.float32) * alpha).astype(np.uint8)
    return PlateDrawing(shape=shape, text=text, image=image, parts=parts)


def _font_scale(font: int, thickness: int) -> float:
    (_, h), _ = cv2.getTextSize("0", font, 1.0, thickness)
    return GLYPH_HEIGHT / max(h, 1) * 0.92


def _glyph_advance(font: int, scale: float, thickness: int) -> int:
    return max(cv2.getTextSize(c, font, scale, thickness)[0][0] for c in "0123456789ABCDE")


def _row_width(groups: list[list[str]], glyph_w: int, gap: int, group_gap: int) -> int:
    n = sum(len(g) for g in groups)
    return n * glyph_w + (n - len(groups)) * gap + (len(groups) - 1) * group_gap


def _draw_glyph(
    ink_mask: np.ndarray, ch: str, x: int, top: int, font: int, scale: float, thickness: int
) -> Box:
    """Ink one character, centred in its advance cell; return the box of its own pixels."""
    h, w = ink_mask.shape
    own = np.zeros((h, w), np.uint8)
    (tw, th), _ = cv2.getTextSize(ch, font, scale, thickness)
    advance = _glyph_advance(font, scale, thickness)
    origin = (int(x + (advance - tw) / 2), int(top + GLYPH_HEIGHT - (GLYPH_HEIGHT - th) / 2))
    cv2.putText(own, ch, origin, font, scale, 255, thickness, cv2.LINE_AA)
    ys, xs = np.nonzero(own > 64)
    if len(xs) == 0:  # cannot happen for our glyph set; keep the annotation honest if it does
        raise RuntimeError(f"glyph {ch!r} drew no pixels")
    np.maximum(ink_mask, own, out=ink_mask)
    return float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1)


def _pad_union(boxes: list[Box], pad: float, width: int, height: int) -> Box:
    x1 = min(b[0] for b in boxes) - pad
    y1 = min(b[1] for b in boxes) - pad
    x2 = max(b[2] for b in boxes) + pad
    y2 = max(b[3] for b in boxes) + pad
    return max(x1, 0.0), max(y1, 0.0), min(x2, float(width)), min(y2, float(height))
