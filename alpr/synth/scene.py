"""Compose a scene: a procedural or photographed background with plates warped onto it.

Each plate gets a similarity transform (scale, rotation, placement) plus corner jitter,
i.e. a homography; every annotated box is mapped through that same homography, so the
polygons follow the pixels exactly. What covers a plate afterwards (occluders, shadows,
glare, low contrast, blur, noise) changes pixels only, never the annotation: the model must
read through it.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from alpr.classes import PLATE_SHAPES, PlateShape
from alpr.synth.options import SynthOptions
from alpr.synth.photos import TRAINING_PHOTOS, photo_background
from alpr.synth.plate import PlateDrawing, PlateText, draw_plate, random_plate_text

LONG_WIDTH_FACTOR = 1.9  # a long plate is about this much wider than a regular one


@dataclass
class PlacedShape:
    label: str
    points: list[list[float]]  # polygon in image pixels
    group_id: int  # index of the plate in the image


@dataclass
class PlacedPlate:
    shape: PlateShape
    text: PlateText
    quad: np.ndarray  # 4x2 board corners in image pixels
    #: how the plate was drawn and what covers it (PlateDrawing.style, tilt, effects)
    style: dict


@dataclass
class Scene:
    image: np.ndarray  # HxWx3 BGR uint8
    shapes: list[PlacedShape]
    plates: list[PlacedPlate]
    background: str = "procedural"  # or "photo:NAME"


def render_scene(rng: np.random.Generator, options: SynthOptions) -> Scene:
    """One annotated image; deterministic for a given generator state."""
    width, height = _photo_size(rng, options)
    background = "procedural"
    if rng.random() < options.photo_background_probability:
        image, name = photo_background(rng, width, height, TRAINING_PHOTOS)
        background = f"photo:{name}"
    else:
        image = random_background(rng, width, height)
    lo, hi = options.plates_per_image
    wanted = int(rng.integers(lo, hi + 1))
    closeup = options.closeup_fraction > 0 and rng.random() < options.closeup_fraction
    if closeup:
        wanted = min(wanted, 1)
    shapes: list[PlacedShape] = []
    plates: list[PlacedPlate] = []
    occupied: list[tuple[float, float, float, float]] = []
    for _ in range(wanted):
        shape: PlateShape = PLATE_SHAPES[int(rng.random() < options.long_fraction)]
        drawing = draw_plate(shape, random_plate_text(rng), rng, options)
        beside = occupied[-1] if occupied and rng.random() < options.close_plates_probability else None
        homography = _place(drawing, rng, options, occupied, (width, height), closeup, beside=beside)
        if homography is None:
            continue  # no free room left in this image: draw fewer plates, never overlap
        plate_index = len(plates)
        quad = _board_quad(drawing, homography)
        _composite(image, drawing.image, homography, drawing.alpha)
        style = {**drawing.style, "tilt_deg": round(_tilt(quad), 1), "beside_another": beside is not None,
                 "effects": _cover(image, quad, rng, options)}
        occupied.append(_bounds(quad, margin=4.0))
        plates.append(PlacedPlate(shape=shape, text=drawing.text, quad=quad, style=style))
        shapes.append(PlacedShape(drawing.board_label, quad.tolist(), plate_index))
        for label, box in drawing.parts:
            corners = _box_corners(box)
            mapped = cv2.perspectiveTransform(corners[None], homography)[0]
            shapes.append(PlacedShape(label, mapped.astype(float).tolist(), plate_index))
    image = _degrade(image, rng, options)
    return Scene(image=image, shapes=shapes, plates=plates, background=background)


def _photo_size(rng: np.random.Generator, options: SynthOptions) -> tuple[int, int]:
    """(width, height) of the next photo: one of the options' sizes, maybe turned portrait."""
    weights = np.asarray(options.image_size_weights or [1.0] * len(options.image_sizes), float)
    width, height = options.image_sizes[int(rng.choice(len(weights), p=weights / weights.sum()))]
    if options.portrait_fraction > 0 and rng.random() < options.portrait_fraction:
        width, height = height, width
    return int(width), int(height)


def random_background(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """A gradient, overlaid with clutter (shapes, lines, texture) so plates are not trivial."""
    c1, c2 = rng.integers(0, 256, size=(2, 3))
    t = np.linspace(0.0, 1.0, width if rng.random() < 0.5 else height, dtype=np.float32)
    ramp = (1 - t)[:, None] * c1[None] + t[:, None] * c2[None]
    if len(t) == width:
        image = np.broadcast_to(ramp[None], (height, width, 3))
    else:
        image = np.broadcast_to(ramp[:, None], (height, width, 3))
    image = np.ascontiguousarray(image, dtype=np.uint8)
    for _ in range(int(rng.integers(3, 14))):
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        kind = rng.integers(0, 4)
        x1, x2 = sorted(int(v) for v in rng.integers(0, width, 2))
        y1, y2 = sorted(int(v) for v in rng.integers(0, height, 2))
        if kind == 0:
            cv2.rectangle(image, (x1, y1), (x2, y2), colour, -1)
        elif kind == 1:
            axes = (max((x2 - x1) // 2, 1), max((y2 - y1) // 2, 1))
            cv2.ellipse(image, ((x1 + x2) // 2, (y1 + y2) // 2), axes, 0, 0, 360, colour, -1)
        elif kind == 2:
            cv2.line(image, (x1, y1), (x2, y2), colour, int(rng.integers(1, 6)))
        else:
            cv2.rectangle(image, (x1, y1), (x2, y2), colour, int(rng.integers(1, 4)))
    if rng.random() < 0.5:  # low-frequency texture
        noise = rng.normal(0.0, 1.0, (height // 16 + 1, width // 16 + 1)).astype(np.float32)
        noise = cv2.resize(noise, (width, height), interpolation=cv2.INTER_CUBIC)
        image = np.clip(image + noise[..., None] * rng.uniform(5, 25), 0, 255).astype(np.uint8)
    return image


def _place(
    drawing: PlateDrawing,
    rng: np.random.Generator,
    options: SynthOptions,
    occupied: list[tuple[float, float, float, float]],
    image_size: tuple[int, int],
    closeup: bool = False,
    attempts: int = 40,
    beside: tuple[float, float, float, float] | None = None,
) -> np.ndarray | None:
    """A homography putting the plate fully inside the image and clear of other plates: as
    wide as ``regular_width`` says (long plates wider), or, for a close-up, as a fraction
    ``closeup_width`` of the photo's width. ``beside``: the bounds of a plate to put this
    one next to, a few pixels away (half the attempts; then anywhere)."""
    pw, ph = drawing.size
    iw, ih = image_size
    src = _box_corners((0.0, 0.0, float(pw), float(ph)))
    for attempt in range(attempts):
        if closeup:
            target_w = rng.uniform(*options.closeup_width) * iw
        else:
            target_w = rng.uniform(*options.regular_width)
            if drawing.shape == "long":
                target_w *= LONG_WIDTH_FACTOR
        scale = min(target_w / pw, (iw - 8) / pw, (ih - 8) / ph)
        angle = np.deg2rad(rng.uniform(-options.max_rotation_deg, options.max_rotation_deg))
        rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        centred = (src - [pw / 2, ph / 2]) * scale
        quad = centred @ rot.T
        jitter = rng.uniform(-1, 1, (4, 2)) * options.max_perspective * [pw * scale, ph * scale]
        quad = quad + jitter
        x_lo, y_lo = -quad.min(axis=0) + 2
        x_hi, y_hi = [iw, ih] - quad.max(axis=0) - 2
        if x_lo > x_hi or y_lo > y_hi:
            continue
        if beside is not None and attempt < attempts // 2:
            offset = _next_to(quad, beside, rng)
            if not (x_lo <= offset[0] <= x_hi and y_lo <= offset[1] <= y_hi):
                continue
        else:
            offset = np.array([rng.uniform(x_lo, x_hi), rng.uniform(y_lo, y_hi)])
        quad = quad + offset
        bounds = _bounds(quad, margin=4.0)
        if any(_intersects(bounds, other) for other in occupied):
            continue
        return cv2.getPerspectiveTransform(src.astype(np.float32), quad.astype(np.float32))
    return None


def _next_to(quad: np.ndarray, other: tuple[float, float, float, float], rng: np.random.Generator) -> np.ndarray:
    """The offset that puts ``quad`` (centred on 0) 2-16 px right of, left of, above or below ``other``."""
    gap = rng.uniform(2, 16) + 4.0  # ``other`` carries a 4 px margin already
    (qx1, qy1), (qx2, qy2) = quad.min(axis=0), quad.max(axis=0)
    ox1, oy1, ox2, oy2 = other
    side = int(rng.integers(0, 4))
    along_x = rng.uniform(ox1 - qx1 - (qx2 - qx1) / 2, ox2 - qx1 - (qx2 - qx1) / 2)
    along_y = rng.uniform(oy1 - qy1 - (qy2 - qy1) / 2, oy2 - qy1 - (qy2 - qy1) / 2)
    return np.array([(ox2 + gap - qx1, along_y), (ox1 - gap - qx2, along_y),
                     (along_x, oy1 - gap - qy2), (along_x, oy2 + gap - qy1)][side])


def _composite(image: np.ndarray, plate: np.ndarray, homography: np.ndarray, coverage: np.ndarray | None = None) -> None:
    """Warp the plate into the image, touching only the pixels around it (photos reach 4K);
    ``coverage``: the plate's own alpha (rounded corners)."""
    h, w = image.shape[:2]
    ph, pw = plate.shape[:2]
    corners = cv2.perspectiveTransform(_box_corners((0.0, 0.0, float(pw), float(ph)))[None], homography)[0]
    x1, y1 = np.maximum(np.floor(corners.min(axis=0)).astype(int) - 2, 0)
    x2, y2 = np.minimum(np.ceil(corners.max(axis=0)).astype(int) + 2, [w, h])
    shifted = np.array([[1, 0, -x1], [0, 1, -y1], [0, 0, 1]], float) @ homography
    size = (int(x2 - x1), int(y2 - y1))
    warped = cv2.warpPerspective(plate, shifted, size, flags=cv2.INTER_AREA)
    if coverage is None:
        coverage = np.ones(plate.shape[:2], np.float32)
    alpha = cv2.warpPerspective(coverage, shifted, size, flags=cv2.INTER_LINEAR)[..., None]
    region = image[y1:y2, x1:x2]
    region[:] = (region * (1.0 - alpha) + warped * alpha).astype(np.uint8)


def _cover(image: np.ndarray, quad: np.ndarray, rng: np.random.Generator, options: SynthOptions) -> list[str]:
    """What lies over a placed plate: washed-out contrast, a shadow edge, glare, an occluder;
    changed in place. Light effects fade out softly around the board (no tell-tale rectangle).
    Gives the names of what was applied."""
    h, w = image.shape[:2]
    plate_h = float(np.linalg.norm(quad[3] - quad[0]))
    pad = int(plate_h * 0.6) + 2
    x1, y1 = np.maximum(np.floor(quad.min(axis=0)).astype(int) - pad, 0)
    x2, y2 = np.minimum(np.ceil(quad.max(axis=0)).astype(int) + pad, [w, h])
    region = image[y1:y2, x1:x2]
    rh, rw = region.shape[:2]
    out = region.astype(np.float32)
    yy, xx = np.mgrid[0:rh, 0:rw].astype(np.float32)
    applied = []
    if rng.random() < options.low_contrast_probability:
        keep = rng.uniform(0.35, 0.6)
        out = out * keep + out.reshape(-1, 3).mean(axis=0) * (1 - keep)
        applied.append("low_contrast")
    if rng.random() < options.shadow_probability:  # a soft-edged half-plane through the plate
        angle = rng.uniform(0, np.pi)
        d = (xx - rw * rng.uniform(0.3, 0.7)) * np.cos(angle) + (yy - rh * rng.uniform(0.3, 0.7)) * np.sin(angle)
        side = 1.0 / (1.0 + np.exp(-d / max(plate_h * 0.08, 1.0)))
        out *= (1.0 - rng.uniform(0.35, 0.6) * side)[..., None]
        applied.append("shadow")
    if rng.random() < options.glare_probability:
        cx, cy, r = rw * rng.uniform(0.3, 0.7), rh * rng.uniform(0.3, 0.7), plate_h * rng.uniform(0.3, 0.7)
        out += (np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * r * r)) * rng.uniform(70, 140))[..., None]
        applied.append("glare")
    if applied:
        near = np.zeros((rh, rw), np.float32)
        centre = quad.mean(axis=0)
        grown = (quad - centre) * 1.15 + centre - [x1, y1]
        cv2.fillConvexPoly(near, grown.astype(np.int32), 1.0)
        near = cv2.GaussianBlur(near, (0, 0), max(plate_h * 0.2, 1.0))[..., None]
        region[:] = np.clip(region * (1.0 - near) + out * near, 0, 255).astype(np.uint8)
    if rng.random() < options.occluder_probability:
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        if rng.random() < 0.5:  # a wire or a branch crossing the plate and beyond
            thick = max(1, int(plate_h * rng.uniform(0.03, 0.07)))
            ya, yb = rng.uniform(pad, rh - pad, 2) if rh > 2 * pad else rng.uniform(0, rh, 2)
            cv2.line(region, (0, int(ya)), (rw - 1, int(yb)), colour, thick, cv2.LINE_AA)
            applied.append("line")
        else:  # a disc at a corner of the board (a tow ball, a sticker)
            corner = quad[int(rng.integers(0, 4))] - [x1, y1]
            radius = max(2, int(plate_h * rng.uniform(0.08, 0.18)))
            cv2.circle(region, (int(corner[0]), int(corner[1])), radius, colour, -1, cv2.LINE_AA)
            applied.append("disc")
    return applied


def _tilt(quad: np.ndarray) -> float:
    """The board's top edge angle from the horizontal, degrees."""
    dx, dy = quad[1] - quad[0]
    return float(np.degrees(np.arctan2(dy, dx)))


def _degrade(image: np.ndarray, rng: np.random.Generator, options: SynthOptions) -> np.ndarray:
    """Camera-like faults: focus and motion blur, sensor noise, exposure; on the whole image."""
    if rng.random() < options.blur_probability and options.max_blur_sigma > 0:
        sigma = rng.uniform(0.3, options.max_blur_sigma)
        image = cv2.GaussianBlur(image, (0, 0), sigma)
    if rng.random() < options.motion_blur_probability:
        length = int(rng.integers(3, 10))
        kernel = np.zeros((length, length), np.float32)
        kernel[length // 2, :] = 1.0 / length
        rotation = cv2.getRotationMatrix2D(((length - 1) / 2, (length - 1) / 2), rng.uniform(0, 180), 1.0)
        kernel = cv2.warpAffine(kernel, rotation, (length, length))
        image = cv2.filter2D(image, -1, kernel / max(kernel.sum(), 1e-6))
    out = image.astype(np.float32)
    out = out * rng.uniform(0.75, 1.2) + rng.uniform(-25, 25)  # contrast, brightness
    if rng.random() < options.noise_probability and options.max_noise_std > 0:
        out += rng.standard_normal(out.shape, dtype=np.float32) * np.float32(rng.uniform(1.0, options.max_noise_std))
    return np.clip(out, 0, 255, out=out).astype(np.uint8)


def _board_quad(drawing: PlateDrawing, homography: np.ndarray) -> np.ndarray:
    pw, ph = drawing.size
    corners = _box_corners((0.0, 0.0, float(pw), float(ph)))
    return cv2.perspectiveTransform(corners[None], homography)[0].astype(float)


def _box_corners(box: tuple[float, float, float, float]) -> np.ndarray:
    x1, y1, x2, y2 = box
    return np.array([[x1, y1], [x2, y1], [x2, y2], [x1, y2]], np.float32)


def _bounds(quad: np.ndarray, margin: float) -> tuple[float, float, float, float]:
    x1, y1 = quad.min(axis=0) - margin
    x2, y2 = quad.max(axis=0) + margin
    return float(x1), float(y1), float(x2), float(y2)


def _intersects(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
