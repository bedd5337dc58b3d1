"""The one place that defines class names, their order and the plate grammar.

COCO category ids are the 1-based position in ``CLASS_NAMES``; the order is part of
the dataset contract (documented in README) and must never change.
"""

from __future__ import annotations

import re
from typing import Literal

DIGITS: tuple[str, ...] = tuple("0123456789")
LETTERS: tuple[str, ...] = tuple("abcde")  # vehicle-type letters A-E, lower-case labels
REGULAR_PARTS: tuple[str, ...] = ("r_board", "r_s_n", "r_m_n")
LONG_PARTS: tuple[str, ...] = ("l_board", "l_s_n", "l_m_n")

#: Glyph classes in a fixed order: the glyph classifier's output index (stored with its weights).
GLYPHS: tuple[str, ...] = DIGITS + LETTERS
CLASS_NAMES: tuple[str, ...] = GLYPHS + REGULAR_PARTS + LONG_PARTS
GLYPH_CLASSES: frozenset[str] = frozenset(GLYPHS)
BOARD_CLASSES: dict[str, str] = {"r_board": "regular", "l_board": "long"}

#: what a plate reads, lower case: region "NN", vehicle-type letter, serial "NNNN"
PLATE_TEXT = re.compile(r"[0-9]{2}[a-e][0-9]{4}")

PlateShape = Literal["regular", "long"]
PLATE_SHAPES: tuple[PlateShape, ...] = ("regular", "long")

#: Per plate shape, the class of its board, sub-number area ("NN L") and main-number area ("NNNN").
PART_CLASSES: dict[str, dict[str, str]] = {
    "regular": {"board": "r_board", "sub": "r_s_n", "main": "r_m_n"},
    "long": {"board": "l_board", "sub": "l_s_n", "main": "l_m_n"},
}


def category_id(name: str) -> int:
    """COCO category id (1-based) of a class name; raises KeyError for unknown names."""
    try:
        return CLASS_NAMES.index(name) + 1
    except ValueError as exc:
        raise KeyError(f"unknown class name {name!r}; expected one of {list(CLASS_NAMES)}") from exc


def coco_categories() -> list[dict[str, object]]:
    """COCO ``categories`` list in the fixed order."""
    return [
        {"id": i + 1, "name": name, "supercategory": _supercategory(name)}
        for i, name in enumerate(CLASS_NAMES)
    ]


def _supercategory(name: str) -> str:
    if name in DIGITS:
        return "digit"
    if name in LETTERS:
        return "letter"
    return "plate"
