"""Glyph rasterisers of the training generator: OpenCV's Hershey faces and TrueType fonts.

Every glyph is rendered alone and cut to its own ink, then scaled to the glyph height the
plate asks for: plate layout then works the same for every font, and a glyph's annotated box
is exactly its pixels. TrueType faces come from Debian's font packages (``fonts-dejavu-core``,
``fonts-liberation``, installed by ``scripts/setup.sh``). Other families on the machine
(FreeFont, Noto) are reserved for the foreign test renderer (``alpr.foreign``): a font the
model is tested on is never one it trained on, and ``resolve_font`` refuses them here.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

TRUETYPE_ROOT = Path("/usr/share/fonts/truetype")
HERSHEY_FACES: dict[str, int] = {
    "simplex": cv2.FONT_HERSHEY_SIMPLEX,
    "plain": cv2.FONT_HERSHEY_PLAIN,
    "duplex": cv2.FONT_HERSHEY_DUPLEX,
    "complex": cv2.FONT_HERSHEY_COMPLEX,
    "triplex": cv2.FONT_HERSHEY_TRIPLEX,
    "complex_small": cv2.FONT_HERSHEY_COMPLEX_SMALL,
    "script_simplex": cv2.FONT_HERSHEY_SCRIPT_SIMPLEX,
    "script_complex": cv2.FONT_HERSHEY_SCRIPT_COMPLEX,
}
#: TrueType faces for training, relative to TRUETYPE_ROOT (regular and bold of each family)
TRAINING_TRUETYPE: tuple[str, ...] = tuple(
    f"{folder}/{name}.ttf" for folder, names in {
        "dejavu": ("DejaVuSans", "DejaVuSans-Bold", "DejaVuSansCondensed", "DejaVuSansCondensed-Bold",
                   "DejaVuSansMono", "DejaVuSansMono-Bold", "DejaVuSerif", "DejaVuSerif-Bold"),
        "liberation": ("LiberationSans-Regular", "LiberationSans-Bold", "LiberationSansNarrow-Regular",
                       "LiberationSansNarrow-Bold", "LiberationMono-Regular", "LiberationMono-Bold",
                       "LiberationSerif-Regular", "LiberationSerif-Bold"),
    }.items() for name in names
)
#: font folders only the foreign test renderer may use
RESERVED_FOR_TESTING: tuple[str, ...] = ("freefont", "noto")
TRAINING_FONTS: tuple[str, ...] = (*(f"hershey:{face}" for face in HERSHEY_FACES),
                                   *(f"ttf:{path}" for path in TRAINING_TRUETYPE))
#: the generator's look before it had TrueType faces (what older checkpoints trained on)
CLASSIC_FONTS: tuple[str, ...] = ("hershey:simplex", "hershey:duplex", "hershey:complex", "hershey:triplex")
#: relative stroke weight 1.0: a Hershey stroke of a tenth of the glyph height
HERSHEY_STROKE = 0.1


def resolve_font(name: str) -> str:
    """Check a font name ("hershey:duplex", "ttf:dejavu/DejaVuSans-Bold.ttf"); give it back.

    Raises ValueError naming the font and what is wrong (unknown face, missing file and the
    package that ships it, a font reserved for testing)."""
    kind, _, spec = name.partition(":")
    if kind == "hershey":
        if spec not in HERSHEY_FACES:
            raise ValueError(f"font {name!r}: no Hershey face {spec!r} (known: {', '.join(HERSHEY_FACES)})")
        return name
    if kind == "ttf":
        folder = Path(spec).parts[0] if spec else ""
        if folder in RESERVED_FOR_TESTING:
            raise ValueError(f"font {name!r}: the {folder} family is reserved for the foreign test set")
        if not (TRUETYPE_ROOT / spec).is_file():
            raise ValueError(f"font {name!r}: {TRUETYPE_ROOT / spec} not found (scripts/setup.sh installs "
                             "fonts-dejavu-core and fonts-liberation)")
        return name
    raise ValueError(f"font {name!r}: expected 'hershey:FACE' or 'ttf:FOLDER/FILE.ttf'")


def installed(fonts: tuple[str, ...] | list[str]) -> list[str]:
    """The ``fonts`` this machine can draw (their files exist; Hershey faces always do), in order:
    a machine without Debian's font packages (a lent GPU machine) trains on what it has."""
    usable = []
    for font in fonts:
        try:
            usable.append(resolve_font(font))
        except ValueError:
            continue
    return usable


def glyph_mask(font: str, ch: str, height: int, weight: float = 1.0, slant: float = 0.0) -> np.ndarray:
    """The ink of one character, ``height`` px high, cut to its own pixels (uint8, 0-255).

    ``weight``: stroke weight relative to the face's own (1.0; drawn in steps of 0.1);
    ``slant``: horizontal shear (x shifts by ``slant`` x the distance above the baseline)."""
    raw = _raw_mask(font, ch, round(weight, 1))
    h, w = raw.shape
    mask = cv2.resize(raw, (max(1, round(w * height / h)), height), interpolation=cv2.INTER_AREA)
    if slant:
        h, w = mask.shape
        shift = abs(slant) * h
        matrix = np.float32([[1, -slant, shift if slant > 0 else 0], [0, 1, 0]])
        mask = _tight(cv2.warpAffine(mask, matrix, (int(w + shift + 2), h), flags=cv2.INTER_LINEAR))
    return mask


@lru_cache(maxsize=8192)
def _raw_mask(font: str, ch: str, weight: float) -> np.ndarray:
    """The glyph drawn large (~100 px) once per face, character and weight step."""
    kind, _, spec = font.partition(":")
    raw = _hershey(HERSHEY_FACES[spec], ch, weight) if kind == "hershey" else _truetype(str(TRUETYPE_ROOT / spec), ch, weight)
    raw.setflags(write=False)  # cached: shared by every caller
    return raw


def _hershey(face: int, ch: str, weight: float) -> np.ndarray:
    """Drawn large (glyphs ~96 px) so the stroke is well resolved, then cut to its ink."""
    scale = 96 / max(cv2.getTextSize("0", face, 1.0, 1)[0][1], 1)
    thickness = max(1, round(HERSHEY_STROKE * 96 * weight))
    canvas = np.zeros((220, 220), np.uint8)
    cv2.putText(canvas, ch, (40, 160), face, scale, 255, thickness, cv2.LINE_AA)
    return _tight(canvas)


def _truetype(path: str, ch: str, weight: float) -> np.ndarray:
    """Rendered at 120 px; a weight other than 1 grows or thins the strokes morphologically."""
    font = _font_file(path)
    canvas = Image.new("L", (240, 240), 0)
    ImageDraw.Draw(canvas).text((40, 20), ch, font=font, fill=255)
    mask = np.asarray(canvas).copy()
    radius = round(abs(weight - 1.0) * 6)  # weight 0.5-1.5: up to 3 px either way at 120 px
    if radius:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
        mask = cv2.dilate(mask, kernel) if weight > 1 else cv2.erode(mask, kernel)
    return _tight(mask)


@lru_cache(maxsize=64)
def _font_file(path: str) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, 120)


def _tight(mask: np.ndarray) -> np.ndarray:
    ys, xs = np.nonzero(mask > 32)
    if len(xs) == 0:
        raise RuntimeError("a glyph drew no pixels")  # cannot happen for our glyph set
    return np.ascontiguousarray(mask[ys.min():ys.max() + 1, xs.min():xs.max() + 1])
