"""Box overlaps and greedy grouping, worked by hand."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from alpr.boxes import box_gap, box_overlaps, greedy_groups, iou_above, union_box


@dataclass
class Item:
    name: str
    score: float
    bbox: tuple[float, float, float, float]


def test_box_overlaps_iou_and_iof() -> None:
    assert box_overlaps((0, 0, 2, 2), (1, 1, 3, 3)) == pytest.approx(1 / 7)
    assert box_overlaps((0, 0, 1, 1), (2, 2, 3, 3)) == 0.0
    # a 1x2 box half inside a 2x2 box: iof is over the first box's own area
    assert box_overlaps((1, 0, 2, 2), (0, 0, 1.5, 2), "iof") == pytest.approx(0.5)
    assert box_overlaps((0, 0, 1.5, 2), (1, 0, 2, 2), "iof") == pytest.approx(1 / 3)
    assert box_overlaps((0, 0, 0, 0), (0, 0, 1, 1), "iof") == 0.0
    with pytest.raises(ValueError, match="mode must be"):
        box_overlaps((0, 0, 1, 1), (0, 0, 1, 1), "giou")


def test_union_and_gap() -> None:
    assert union_box([(0, 1, 2, 3), (1, 0, 4, 2)]) == (0, 0, 4, 3)
    assert box_gap((0, 0, 1, 1), (4, 5, 6, 6)) == pytest.approx(5.0)
    assert box_gap((0, 0, 2, 2), (1, 1, 3, 3)) == 0.0


def test_greedy_groups_join_the_strongest_overlapping_leader() -> None:
    items = [Item("b", 0.5, (1, 0, 11, 10)), Item("a", 0.9, (0, 0, 10, 10)), Item("c", 0.7, (50, 50, 60, 60)),
             Item("weak", 0.1, (100, 100, 110, 110))]
    groups = greedy_groups(items, iou_above(0.4), may_start=lambda i: i.score >= 0.3)
    assert [[i.name for i in g] for g in groups] == [["a", "b"], ["c"]]  # "weak" overlaps none and may not start
