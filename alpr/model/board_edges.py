"""Where a plate's painted board ends, around the box the detector gave it.

The detector learnt boards whose glyphs fill most of the plate (the generator's). On plates
drawn with wide margins around the text (other renderers, real plates), its board box and mask
hug the text block: the plate is read right, but boxed 0.35-0.5 IoU off the real board, and a
client comparing boxes counts it as not found (half of the "boards not found" of foreign-style
4K photos were such plates). A board is one paint around its glyphs, so its edge is where that
paint stops: ``painted_board`` finds it in the photo itself, and rejects what is not a board-like
quadrilateral (paint running on into a car body of the same colour, a plate cut by the photo's
edge), keeping the detector's own outline then. Where the paint reaches into a scene of a
similar colour through narrow bridges (a dark tyre under a black plate, veins in an orange
texture), those are cut by a morphological opening and the board is looked for again.
"""

from __future__ import annotations

import cv2
import numpy as np

from alpr.boxes import Box

#: the board is looked for within this many times the box's width (height) on each side
SEARCH_MARGIN = 1.0
#: the search region is worked on with the box this many pixels wide at most (the edge of a
#: board needs no more; a 4K close-up's 2000 px board would otherwise cost a second)
WORK_WIDTH = 96.0
#: pixels closer to the paint than this many times the spread of the paint's own pixels (this
#: percentile of their distance to it) are paint, with ``MIN_PAINT_DISTANCE`` (Lab units) at
#: least; the median, as the paint's cluster also holds the glyphs' blurred edges (the 90th
#: percentile x 1.5 took a tan scene for a white board's paint, and dark scenes for black ones)
SPREAD_PERCENTILE = 50
PAINT_TOLERANCE = 3.0
MIN_PAINT_DISTANCE = 12.0
#: the paint is closed over speckle (JPEG, noise) of this fraction of the box's short side, no
#: more: a frame line around the board then stops paint running on into a scene of its colour
#: (0.15 bridged frames: 4 of 325 foreign plates read right stayed boxed by their text)
CLOSING = 0.05
#: where no board is found so, the paint is opened with a square this fraction of the box's
#: short side, each in turn, and the board looked for again: bridges into the scene narrower
#: than that are cut, and a board's margins wider survive whole (opened always, a board's thin
#: margin is cut too: foreign plates 0.832 instead of 0.837 read)
OPENINGS = (0.1, 0.2)
#: a board is a quadrilateral: the paint's region must fill this fraction of its smallest rotated
#: rectangle (paint leaking into the scene makes ragged regions)
MIN_RECTANGULARITY = 0.85
#: and be at most this many times the box's width and height (a board found 2.5x the text's width
#: is the widest a plate's margins make it)
MAX_GROWTH = 2.6
#: and hold this fraction of the box: a board holds the text the detector boxed (a thin tilted
#: plate's box holds more of the scene behind it than of its board, and that paint is no board's)
MIN_BOX_COVER = 0.8


def prepare_lab_tables() -> None:
    """Convert one pixel to Lab: OpenCV builds its Lab tables on the first conversion in a
    process (90-180 ms on 2 cores), so a model pays it when it loads, not on the first board
    it reads for a client."""
    cv2.cvtColor(np.zeros((1, 1, 3), np.uint8), cv2.COLOR_BGR2LAB)


def painted_board(image: np.ndarray, box: Box) -> tuple[np.ndarray, tuple[int, int]] | None:
    """The painted board around ``box`` (photo pixels) of the BGR ``image``: a bool mask and its
    top-left photo pixel, or None where no board-like region of one paint holds the box."""
    height, width = image.shape[:2]
    x1, y1, x2, y2 = box
    w, h = x2 - x1, y2 - y1
    if w < 4 or h < 4:
        return None
    rx1, ry1 = int(max(x1 - SEARCH_MARGIN * w, 0)), int(max(y1 - SEARCH_MARGIN * h, 0))
    rx2, ry2 = int(min(np.ceil(x2 + SEARCH_MARGIN * w), width)), int(min(np.ceil(y2 + SEARCH_MARGIN * h), height))
    if rx2 - rx1 < 4 or ry2 - ry1 < 4:  # off the photo
        return None
    scale = min(1.0, WORK_WIDTH / w)
    step = max(1, int(0.5 / scale))  # every step-th pixel first: a close-up's region is megapixels
    region = np.ascontiguousarray(image[ry1:ry2:step, rx1:rx2:step])  # OpenCV converts a view ~5x slower
    size = (max(1, round((rx2 - rx1) * scale)), max(1, round((ry2 - ry1) * scale)))
    lab = cv2.cvtColor(cv2.resize(region, size, interpolation=cv2.INTER_AREA) if scale < 1 else region,
                       cv2.COLOR_BGR2LAB).astype(np.float32)
    sx, sy = size[0] / (rx2 - rx1), size[1] / (ry2 - ry1)
    bx1, by1 = int((x1 - rx1) * sx), int((y1 - ry1) * sy)
    bx2, by2 = max(int(np.ceil((x2 - rx1) * sx)), bx1 + 1), max(int(np.ceil((y2 - ry1) * sy)), by1 + 1)
    inside = lab[by1:by2, bx1:bx2].reshape(-1, 3)
    if len(inside) < 16:
        return None
    paint, own = _paint(inside)
    spread = float(np.percentile(np.linalg.norm(own - paint, axis=1), SPREAD_PERCENTILE))
    tolerance = max(PAINT_TOLERANCE * spread, MIN_PAINT_DISTANCE)
    is_paint = (np.linalg.norm(lab - paint, axis=2) < tolerance).astype(np.uint8)
    box_in_region = (bx1, by1, bx2, by2)
    is_paint = _morphed(is_paint, cv2.MORPH_CLOSE, CLOSING, box_in_region)
    found = _board_of(is_paint, box_in_region)
    for opening in OPENINGS:
        if found is not None:
            break
        found = _board_of(_morphed(is_paint, cv2.MORPH_OPEN, opening, box_in_region), box_in_region)
    if found is None:
        return None
    filled, (left, top) = found
    bh, bw = filled.shape
    x0, y0 = rx1 + int(left / sx), ry1 + int(top / sy)
    if scale < 1:
        in_photo = (max(1, min(round(bw / sx), width - x0)), max(1, min(round(bh / sy), height - y0)))
        filled = cv2.resize(filled * 255, in_photo, interpolation=cv2.INTER_LINEAR) > 127
    return filled.astype(bool), (x0, y0)


def _morphed(mask: np.ndarray, operation: int, fraction: float, box: tuple[int, int, int, int]) -> np.ndarray:
    """``mask`` closed or opened (``operation``) with a square ``fraction`` of the box's short
    side (odd, 3 pixels at least)."""
    k = max(3, round(fraction * min(box[2] - box[0], box[3] - box[1])) | 1)
    return cv2.morphologyEx(mask, operation, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))


def _board_of(is_paint: np.ndarray, box: tuple[int, int, int, int]) -> tuple[np.ndarray, tuple[int, int]] | None:
    """The region of paint most of ``box`` lies on, filled (0/1, its own box) with its top-left
    pixel, if it is board-like: inside the search region, at most ``MAX_GROWTH`` times the box,
    a quadrilateral (``MIN_RECTANGULARITY``) holding the box (``MIN_BOX_COVER``); else None."""
    bx1, by1, bx2, by2 = box
    count, labels, stats, _ = cv2.connectedComponentsWithStats(is_paint, connectivity=4)
    votes = np.bincount(labels[by1:by2, bx1:bx2].ravel(), minlength=count)
    votes[0] = 0
    board = int(votes.argmax())
    if board == 0:
        return None
    left, top, bw, bh, _ = stats[board]
    if left <= 0 or top <= 0 or left + bw >= is_paint.shape[1] or top + bh >= is_paint.shape[0]:
        return None  # ran into the scene, or the plate is cut by the photo's edge
    if bw > MAX_GROWTH * (bx2 - bx1) or bh > MAX_GROWTH * (by2 - by1):
        return None
    contours, _ = cv2.findContours((labels == board).astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    outline = max(contours, key=cv2.contourArea)
    (_, _), (rw, rh), _ = cv2.minAreaRect(outline)
    if cv2.contourArea(outline) < MIN_RECTANGULARITY * rw * rh:
        return None
    filled = np.zeros((bh, bw), np.uint8)  # the board's own box only: a close-up's region is the photo
    cv2.drawContours(filled, [outline - (left, top)], -1, 1, thickness=cv2.FILLED)
    covered = filled[max(by1 - top, 0):max(by2 - top, 0), max(bx1 - left, 0):max(bx2 - left, 0)].sum()
    if covered < MIN_BOX_COVER * (bx2 - bx1) * (by2 - by1):
        return None
    return filled, (int(left), int(top))


def _paint(pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The board's paint among a box's pixels, and the pixels of it: the larger of two colour
    clusters (the glyphs are the smaller one). k-means starts once per Lab axis from the pixels
    above and below its mean (glyphs differ from their paint in lightness, hue or both) and the
    most compact result is kept: the same box gives the same paint, with no random seeding of
    OpenCV's process-wide generator."""
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 10, 1.0)
    best = None
    for axis in range(3):
        start = (pixels[:, axis] > pixels[:, axis].mean()).astype(np.int32).reshape(-1, 1)
        if start.min() == start.max():
            continue  # no spread along this axis
        compactness, labels, centres = cv2.kmeans(pixels, 2, start, criteria, 1, cv2.KMEANS_USE_INITIAL_LABELS)
        if best is None or compactness < best[0]:
            best = (compactness, labels.ravel(), centres)
    if best is None:  # one colour: one paint
        return pixels.mean(axis=0), pixels
    _, labels, centres = best
    major = int(np.bincount(labels, minlength=2).argmax())
    return centres[major], pixels[labels == major]
