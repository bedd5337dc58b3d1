"""The foreign test renderer: plates drawn by code that shares nothing with the training generator.

The training generator (``alpr.synth``) draws with OpenCV, Hershey faces, DejaVu and Liberation,
on procedural or scikit-image backgrounds. This renderer draws with Pillow only, from fonts and
photos reserved for it (FreeFont, Noto; the motorcycle, rocket and retina photos), with plate
proportions taken from real plates (330x165 mm two-row, 520x110 mm one-row boards), its own
paints (an EU-style blue band, embossed glyphs, dealer frames), cars on asphalt as scenery and
its own geometry code. Its photos are what the model is tested on but never trained on: the
gap between its score here and on its own test split measures how far it generalizes.

Its annotations are the same labelme files (the shared writer), so they go through the same
ingest and evaluation path as every other data set.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont
from pydantic import BaseModel, Field

from alpr.classes import PART_CLASSES, PLATE_SHAPES
from alpr.labelme import labelme_document, polygon_shape
from alpr.synth.fonts import TRUETYPE_ROOT
from alpr.synth.photos import RESERVED_FOR_TESTING as RESERVED_PHOTOS
from alpr.synth.photos import photo_folder

#: faces only this renderer uses (alpr.synth.fonts refuses these families for training)
FOREIGN_FONTS: tuple[str, ...] = (
    "freefont/FreeSans.ttf", "freefont/FreeSansBold.ttf", "freefont/FreeSerif.ttf", "freefont/FreeSerifBold.ttf",
    "freefont/FreeMono.ttf", "freefont/FreeMonoBold.ttf", "noto/NotoSans-Regular.ttf", "noto/NotoSans-Bold.ttf",
    "noto/NotoSerif-Regular.ttf", "noto/NotoSerif-Bold.ttf", "noto/NotoSansDisplay-Regular.ttf",
    "noto/NotoSansDisplay-Bold.ttf",
)
#: board sizes in mm (width, height) of real plates of each shape
BOARD_MM = {"regular": (330.0, 165.0), "long": (520.0, 110.0)}
PX_PER_MM = 2.0  # drawing resolution before the plate is warped into the photo
#: a one-row board is at least this much wider than `min_width` (its glyphs as high as a two-row one's)
LONG_MIN_WIDTH_FACTOR = 1.7
#: (name, board RGB, ink RGB)
PAINTS: tuple[tuple[str, tuple[int, int, int], tuple[int, int, int]], ...] = (
    ("white", (236, 236, 228), (16, 16, 20)),
    ("yellow", (246, 200, 30), (10, 10, 10)),
    ("blue", (22, 60, 150), (240, 240, 240)),
    ("black", (24, 24, 24), (225, 225, 225)),
    ("eu", (240, 240, 236), (20, 20, 24)),  # white with a blue band on the left
    ("orange", (232, 120, 40), (250, 250, 250)),
)


class ForeignOptions(BaseModel):
    """What the foreign renderer draws (sampled per photo or plate; ranges inclusive)."""

    image_sizes: list[tuple[int, int]] = Field(
        default_factory=lambda: [(640, 480), (800, 600), (1024, 768), (1280, 720), (1600, 1200), (1920, 1080)],
        min_length=1)
    portrait_fraction: float = Field(0.15, ge=0.0, le=1.0)
    plates_per_image: tuple[int, int] = (1, 3)
    long_fraction: float = Field(0.5, ge=0.0, le=1.0)
    #: a board's width in photo pixels: from ``min_width`` up to this fraction of the photo's width
    min_width: int = Field(90, ge=40)
    max_width_fraction: float = Field(0.33, gt=0.0, le=0.9)
    max_tilt_deg: float = Field(8.0, ge=0.0, le=30.0)
    max_yaw: float = Field(0.15, ge=0.0, le=0.5)  # one side of the board up to this much shorter
    photo_background_probability: float = Field(0.4, ge=0.0, le=1.0)
    jpeg_quality: tuple[int, int] = (60, 92)


@dataclass
class ForeignPlate:
    shape: str
    text: str
    image: Image.Image  # RGB, board-sized
    coverage: Image.Image  # L: the board's outline (rounded corners, frame)
    parts: list[tuple[str, tuple[float, float, float, float]]] = field(default_factory=list)
    style: dict = field(default_factory=dict)


def draw_foreign_plate(rng: np.random.Generator, shape: str, text: str) -> ForeignPlate:
    """A board of real proportions with ``text`` ("NNLNNNN"): glyph boxes from each glyph's ink."""
    bw, bh = (round(v * PX_PER_MM) for v in BOARD_MM[shape])
    paint, board, ink = PAINTS[int(rng.integers(0, len(PAINTS)))]
    font_name = FOREIGN_FONTS[int(rng.integers(0, len(FOREIGN_FONTS)))]
    image = Image.new("RGB", (bw, bh), board)
    draw = ImageDraw.Draw(image)
    left = 0.0
    if paint == "eu":
        left = bw * 0.11
        draw.rectangle((0, 0, left, bh), fill=(20, 50, 160))
        for k in range(8):  # a ring of stars, as dots
            a = 2 * np.pi * k / 8
            cx, cy, r = left / 2 + np.cos(a) * left * 0.25, bh * 0.35 + np.sin(a) * left * 0.25, max(bh * 0.02, 1.5)
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(250, 210, 40))
    emboss = bool(rng.random() < 0.3)
    shade = tuple(int(v * 0.45) for v in board) if emboss else None
    framed = bool(rng.random() < 0.3)
    radius = int(bh * rng.uniform(0.04, 0.12))
    inset = bh * 0.05
    if framed:  # a dealer frame: a dark band round the board
        draw.rounded_rectangle((0, 0, bw - 1, bh - 1), radius=radius, outline=(30, 30, 30), width=int(bh * 0.06))
        inset = bh * 0.09
    else:
        draw.rounded_rectangle((inset / 2, inset / 2, bw - 1 - inset / 2, bh - 1 - inset / 2), radius=radius,
                               outline=ink, width=max(2, int(bh * 0.015)))
    coverage = Image.new("L", (bw, bh), 0)
    ImageDraw.Draw(coverage).rounded_rectangle((0, 0, bw - 1, bh - 1), radius=radius, fill=255)

    if shape == "regular":
        main_h = bh * rng.uniform(0.3, 0.36)
        sub_h = main_h * rng.uniform(0.75, 1.0)
        gap = (bh - 2 * inset - main_h - sub_h) / 3
        rows = [(text[:2] + ("-" if rng.random() < 0.4 else " ") + text[2], sub_h, inset + gap),
                (text[3:], main_h, inset + 2 * gap + sub_h)]
    else:
        main_h = bh * rng.uniform(0.55, 0.66)
        sep = "-" if rng.random() < 0.4 else " "
        rows = [(text[:2] + " " + text[2] + sep + text[3:], main_h, (bh - main_h) / 2)]
    tracking = rng.uniform(0.05, 0.25)
    parts = []
    glyph_index = 0
    for row_text, cap_h, top in rows:
        font = _font_for_cap_height(font_name, cap_h)
        space_factor = rng.uniform(0.35, 0.7)
        advances = _advances(font, row_text, tracking, space_factor)
        room = (bw - left - 2 * inset) * 0.94
        if sum(advances) > room:  # a wide face: smaller glyphs, lower on the same baseline
            top += cap_h * (1 - room / sum(advances))
            cap_h *= room / sum(advances)
            font = _font_for_cap_height(font_name, cap_h)
            advances = _advances(font, row_text, tracking, space_factor)
        x = left + (bw - left - sum(advances)) / 2
        boxes = []
        for c, adv in zip(row_text, advances):
            if c.isalnum():
                box = _glyph(image, c, (x + adv / 2, top + cap_h), font, ink, shade)
                parts.append((c.lower(), box))
                boxes.append((glyph_index, box))
                glyph_index += 1
            elif c == "-":
                y = top + cap_h * 0.55
                draw.line((x + adv * 0.2, y, x + adv * 0.8, y), fill=ink, width=max(2, int(cap_h * 0.08)))
            x += adv
        for area, members in (("sub", [b for i, b in boxes if i < 3]), ("main", [b for i, b in boxes if i >= 3])):
            if members:
                pad = cap_h * 0.1
                parts.append((PART_CLASSES[shape][area], (min(b[0] for b in members) - pad, min(b[1] for b in members) - pad,
                                                          max(b[2] for b in members) + pad, max(b[3] for b in members) + pad)))
    style = {"font": font_name, "paint": paint, "emboss": emboss, "frame": framed}
    return ForeignPlate(shape=shape, text=text, image=image, coverage=coverage, parts=parts, style=style)


def _advances(font: ImageFont.FreeTypeFont, text: str, tracking: float, space_factor: float) -> list[float]:
    """Each character's advance: a glyph's own plus tracking; a space or dash a fraction of a digit's."""
    space = font.getlength("0") * space_factor
    return [font.getlength(c) * (1 + tracking) if c.isalnum() else space for c in text]


def _font_for_cap_height(name: str, cap_h: float) -> ImageFont.FreeTypeFont:
    """The font size whose digits' ink is ``cap_h`` pixels high."""
    probe = ImageFont.truetype(str(TRUETYPE_ROOT / name), 100)
    _, y1, _, y2 = probe.getbbox("0", anchor="ls")
    return ImageFont.truetype(str(TRUETYPE_ROOT / name), max(4, round(100 * cap_h / (y2 - y1))))


def _glyph(image: Image.Image, c: str, anchor_xy, font, ink, shade) -> tuple[float, float, float, float]:
    """Draw one glyph centred on x, baseline at y; its box from its own ink (threshold 64).
    ``shade``: the colour of a raised glyph's shadow, one step down-right (None: flat)."""
    mask = Image.new("L", image.size, 0)
    ImageDraw.Draw(mask).text(anchor_xy, c, font=font, fill=255, anchor="ms")
    if shade is not None:
        offset = max(1, int(font.size * 0.03))
        shadow = Image.new("L", image.size, 0)
        shadow.paste(mask.point(lambda v: v // 2), (offset, offset))
        image.paste(shade, (0, 0), shadow)
    image.paste(ink, (0, 0), mask)
    x1, y1, x2, y2 = mask.point(lambda v: 255 if v > 64 else 0).getbbox()
    return float(x1), float(y1), float(x2), float(y2)


def render_foreign_scene(rng: np.random.Generator, options: ForeignOptions) -> tuple[Image.Image, list[dict], dict]:
    """One photo: its image, its labelme shapes, and how it was rendered."""
    width, height = options.image_sizes[int(rng.integers(0, len(options.image_sizes)))]
    if rng.random() < options.portrait_fraction:
        width, height = height, width
    if rng.random() < options.photo_background_probability:
        name = RESERVED_PHOTOS[int(rng.integers(0, len(RESERVED_PHOTOS)))]
        photo = Image.open(photo_folder() / name).convert("RGB")
        scale = max(width / photo.width, height / photo.height) * rng.uniform(1.0, 1.6)
        photo = photo.resize((int(photo.width * scale) + 1, int(photo.height * scale) + 1), Image.BILINEAR)
        x, y = int(rng.uniform(0, photo.width - width)), int(rng.uniform(0, photo.height - height))
        scene = photo.crop((x, y, x + width, y + height))
        background = f"photo:{name}"
    else:
        scene = _street(rng, width, height)
        background = "street"
    shapes, plates, taken = [], [], []
    for _ in range(int(rng.integers(options.plates_per_image[0], options.plates_per_image[1] + 1))):
        shape = PLATE_SHAPES[int(rng.random() < options.long_fraction)]
        text = f"{int(rng.integers(0, 100)):02d}{'ABCDE'[int(rng.integers(0, 5))]}{int(rng.integers(0, 10000)):04d}"
        plate = draw_foreign_plate(rng, shape, text)
        corners = _fit(rng, options, plate, (width, height), taken)
        if corners is None:
            continue
        taken.append((*corners.min(axis=0) - 6, *corners.max(axis=0) + 6))
        h = _homography(np.array([[0, 0], [plate.image.width, 0], [plate.image.width, plate.image.height],
                                  [0, plate.image.height]], float), corners)
        _paste_warped(scene, plate, h)
        group = len(plates)
        shapes.append(polygon_shape(PART_CLASSES[shape]["board"], corners, group, f"{shape}:{text}"))
        for label, (x1, y1, x2, y2) in plate.parts:
            shapes.append(polygon_shape(label, _apply(h, np.array([[x1, y1], [x2, y1], [x2, y2], [x1, y2]], float)), group))
        top = corners[1] - corners[0]
        plates.append({"group_id": group, **plate.style, "width_px": round(float(np.ptp(corners[:, 0])), 1),
                       "tilt_deg": round(float(np.degrees(np.arctan2(top[1], top[0]))), 1)})
    scene = _camera(rng, scene)
    return scene, shapes, {"renderer": "alpr.foreign", "background": background, "plates": plates}


def _street(rng: np.random.Generator, width: int, height: int) -> Image.Image:
    """Asphalt with a few car bodies (rounded, shaded) parked on it."""
    grey = rng.uniform(70, 130)
    asphalt = rng.normal(grey, 14, (height // 4 + 1, width // 4 + 1, 1)).repeat(3, axis=2)
    scene = Image.fromarray(np.clip(asphalt, 0, 255).astype(np.uint8)).resize((width, height), Image.BILINEAR)
    draw = ImageDraw.Draw(scene)
    for _ in range(int(rng.integers(1, 4))):
        colour = tuple(int(v) for v in rng.integers(10, 240, 3))
        w, h = width * rng.uniform(0.3, 0.7), height * rng.uniform(0.25, 0.5)
        x, y = rng.uniform(-w / 4, width - w * 0.75), rng.uniform(0, height - h / 2)
        draw.rounded_rectangle((x, y, x + w, y + h), radius=int(min(w, h) * 0.2), fill=colour)
        draw.rectangle((x + w * 0.15, y + h * 0.05, x + w * 0.85, y + h * 0.3),
                       fill=tuple(int(v * 0.35) for v in colour))  # a window
    return scene.filter(ImageFilter.GaussianBlur(0.6))


def _fit(rng, options: ForeignOptions, plate: ForeignPlate, size, taken, attempts: int = 30) -> np.ndarray | None:
    """Board corners (TL, TR, BR, BL) in the photo: sized, tilted, foreshortened, not overlapping."""
    width, height = size
    aspect = plate.image.height / plate.image.width
    for _ in range(attempts):
        hi = max(options.min_width + 1.0, options.max_width_fraction * width)
        lo = options.min_width * (LONG_MIN_WIDTH_FACTOR if plate.shape == "long" else 1.0)
        w = min(rng.uniform(lo, max(hi, lo + 1.0)), width * 0.9, (height * 0.9) / aspect)
        h = w * aspect
        yaw = rng.uniform(-options.max_yaw, options.max_yaw)
        left_h, right_h = h * (1 - max(yaw, 0)), h * (1 + min(yaw, 0))
        local = np.array([[-w / 2, -left_h / 2], [w / 2, -right_h / 2], [w / 2, right_h / 2], [-w / 2, left_h / 2]])
        a = np.radians(rng.uniform(-options.max_tilt_deg, options.max_tilt_deg))
        local = local @ np.array([[np.cos(a), np.sin(a)], [-np.sin(a), np.cos(a)]])
        lo, hi_xy = -local.min(axis=0) + 3, np.array([width, height]) - local.max(axis=0) - 3
        if (lo > hi_xy).any():
            continue
        corners = local + [rng.uniform(lo[0], hi_xy[0]), rng.uniform(lo[1], hi_xy[1])]
        box = (*corners.min(axis=0), *corners.max(axis=0))
        if any(box[0] < t[2] and t[0] < box[2] and box[1] < t[3] and t[1] < box[3] for t in taken):
            continue
        return corners
    return None


def _homography(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The 3x3 projective map taking the 4 ``src`` points onto ``dst`` (direct linear solve)."""
    rows, rhs = [], []
    for (x, y), (u, v) in zip(src, dst):
        rows += [[x, y, 1, 0, 0, 0, -u * x, -u * y], [0, 0, 0, x, y, 1, -v * x, -v * y]]
        rhs += [u, v]
    return np.append(np.linalg.solve(np.array(rows), np.array(rhs)), 1.0).reshape(3, 3)


def _apply(h: np.ndarray, points: np.ndarray) -> np.ndarray:
    p = np.c_[points, np.ones(len(points))] @ h.T
    return p[:, :2] / p[:, 2:]


def _paste_warped(scene: Image.Image, plate: ForeignPlate, h: np.ndarray) -> None:
    """Warp the board into its box of the photo (Pillow maps output pixels back to the board)."""
    corners = _apply(h, np.array([[0, 0], [plate.image.width, 0], [plate.image.width, plate.image.height],
                                  [0, plate.image.height]], float))
    x0, y0 = np.floor(corners.min(axis=0)).astype(int)
    x1, y1 = np.ceil(corners.max(axis=0)).astype(int)
    shift = np.array([[1, 0, x0], [0, 1, y0], [0, 0, 1]], float)
    back = np.linalg.inv(h) @ shift
    coeffs = (back / back[2, 2]).flatten()[:8]
    size = (int(x1 - x0), int(y1 - y0))
    # the board is drawn 2-6x larger than it lands: shrink it first so the warp does not alias
    factor = max(1, int(plate.image.width / max(size[0], 1) / 2))
    image, coverage = plate.image, plate.coverage
    if factor > 1:
        small = (plate.image.width // factor, plate.image.height // factor)
        image, coverage = image.resize(small, Image.LANCZOS), coverage.resize(small, Image.LANCZOS)
        coeffs = (np.diag([1 / factor, 1 / factor, 1]) @ back / back[2, 2]).flatten()[:8]
    warped = image.transform(size, Image.PERSPECTIVE, tuple(coeffs), Image.BICUBIC)
    alpha = coverage.transform(size, Image.PERSPECTIVE, tuple(coeffs), Image.BILINEAR)
    scene.paste(warped, (int(x0), int(y0)), alpha)


def _camera(rng: np.random.Generator, scene: Image.Image) -> Image.Image:
    """Exposure, contrast, focus and sensor noise."""
    scene = ImageEnhance.Brightness(scene).enhance(rng.uniform(0.8, 1.15))
    scene = ImageEnhance.Contrast(scene).enhance(rng.uniform(0.8, 1.15))
    if rng.random() < 0.4:
        scene = scene.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.0)))
    if rng.random() < 0.5:
        noisy = np.asarray(scene, np.float32) + rng.normal(0, rng.uniform(1.5, 6), (scene.height, scene.width, 1))
        scene = Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))
    return scene


def draw_foreign(task: tuple[int, int, ForeignOptions | None]) -> tuple[str, bytes, bytes, int, int]:
    """Photo ``i`` of ``seed`` as the dataset writer wants it (``generate_dataset(draw=...)``)."""
    seed, i, options = task
    options = options or ForeignOptions()
    rng = np.random.default_rng([seed, i, 0xF0])  # a stream of its own: never the generator's image i
    scene, shapes, render = render_foreign_scene(rng, options)
    stem = f"img_{i:06d}"
    buffer = io.BytesIO()
    scene.save(buffer, "JPEG", quality=int(rng.integers(options.jpeg_quality[0], options.jpeg_quality[1] + 1)))
    doc = labelme_document(shapes, f"{stem}.jpg", scene.width, scene.height, render=render)
    return stem, buffer.getvalue(), json.dumps(doc, indent=1).encode(), len(render["plates"]), len(shapes)
