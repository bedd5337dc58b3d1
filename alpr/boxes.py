"""Axis-aligned boxes (x1, y1, x2, y2): overlap measures and greedy grouping by overlap.

One place for box geometry, shared by post-processing, the detector's second look and the
metrics (as mmdetection keeps one ``bbox_overlaps(mode=...)``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Literal, Protocol, TypeVar

import numpy as np

Box = tuple[float, float, float, float]  # x1, y1, x2, y2


class Scored(Protocol):
    """Anything with a box and a score (detections of either kind)."""

    bbox: Box
    score: float


T = TypeVar("T", bound=Scored)


def box_overlaps(a: Sequence[float], b: Sequence[float], mode: Literal["iou", "iof"] = "iou") -> float:
    """Overlap of two boxes: intersection over union (``iou``), or over ``a``'s own area
    (``iof``: the fraction of ``a`` that lies inside ``b``). 0 for empty boxes."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    area_a = (a[2] - a[0]) * (a[3] - a[1])
    if mode == "iof":
        return inter / area_a if area_a > 0 else 0.0
    if mode != "iou":
        raise ValueError(f"mode must be 'iou' or 'iof', got {mode!r}")
    union = area_a + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def union_box(boxes: Iterable[Sequence[float]]) -> Box:
    """The smallest box holding every box."""
    b = np.asarray(list(boxes), float)
    return float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 2].max()), float(b[:, 3].max())


def box_gap(a: Sequence[float], b: Sequence[float]) -> float:
    """The distance between two boxes (0 when they touch or overlap)."""
    dx = max(0.0, max(a[0], b[0]) - min(a[2], b[2]))
    dy = max(0.0, max(a[1], b[1]) - min(a[3], b[3]))
    return float(np.hypot(dx, dy))


def greedy_groups(
    items: Iterable[T],
    joins: Callable[[Box, Box], bool],
    may_start: Callable[[T], bool] = lambda _: True,
) -> list[list[T]]:
    """Greedy grouping, strongest first: each item joins the first group whose leader (its
    strongest item) it ``joins`` by box, else starts a group if ``may_start`` (else it is
    dropped). Groups come strongest first, each strongest item first."""
    groups: list[list[T]] = []
    for item in sorted(items, key=lambda d: -d.score):
        group = next((g for g in groups if joins(item.bbox, g[0].bbox)), None)
        if group is not None:
            group.append(item)
        elif may_start(item):
            groups.append([item])
    return groups


def iou_above(threshold: float) -> Callable[[Box, Box], bool]:
    """The ``joins`` rule "IoU above ``threshold``"."""
    return lambda a, b: box_overlaps(a, b) > threshold
