"""BoardCrop: the training window holds the chosen plate whole and drops instances it cuts."""

from __future__ import annotations

import numpy as np
import pytest

from alpr.classes import category_id


def _results(boxes: list[tuple[str, tuple[float, float, float, float]]], size=(384, 512)) -> dict:
    from mmdet.structures.bbox import HorizontalBoxes
    from mmdet.structures.mask import PolygonMasks

    h, w = size
    polys = [[np.array([x1, y1, x2, y1, x2, y2, x1, y2], float)] for _, (x1, y1, x2, y2) in boxes]
    return {
        "img": np.zeros((h, w, 3), np.uint8),
        "img_shape": (h, w),
        "gt_bboxes": HorizontalBoxes(np.array([b for _, b in boxes], np.float32)),
        "gt_bboxes_labels": np.array([category_id(name) - 1 for name, _ in boxes]),
        "gt_ignore_flags": np.zeros(len(boxes), bool),
        "gt_masks": PolygonMasks(polys, h, w),
    }


@pytest.mark.parametrize("seed", range(20))
def test_window_holds_the_board_whole_and_drops_what_it_cuts(seed: int) -> None:
    from alpr.model.transforms import BoardCrop

    np.random.seed(seed)
    board = (200.0, 150.0, 380.0, 200.0)  # 180x50: fits a 320x256 window anywhere around it
    glyph = (210.0, 160.0, 230.0, 190.0)
    far = (0.0, 0.0, 20.0, 30.0)  # 180+ px left of the board: inside only for some windows
    out = BoardCrop(crop_size=(320, 256), min_visible=0.6).transform(
        _results([("l_board", board), ("1", glyph), ("2", far)]))
    assert out["img"].shape[:2] == (256, 320) and out["img_shape"] == (256, 320)
    labels = list(out["gt_bboxes_labels"])
    assert category_id("l_board") - 1 in labels and category_id("1") - 1 in labels
    boxes = out["gt_bboxes"].numpy()
    x1, y1, x2, y2 = boxes[labels.index(category_id("l_board") - 1)]
    assert x2 - x1 == pytest.approx(180) and y2 - y1 == pytest.approx(50)  # not cut
    assert len(out["gt_masks"]) == len(labels) == len(boxes)
    for bx1, by1, bx2, by2 in boxes:  # every kept instance at least min_visible inside
        assert 0 <= bx1 < bx2 <= 320 and 0 <= by1 < by2 <= 256
    if category_id("2") - 1 in labels:
        b = boxes[labels.index(category_id("2") - 1)]
        assert (b[2] - b[0]) * (b[3] - b[1]) >= 0.6 * 20 * 30


def test_board_wider_than_window_widens_it_and_small_images_are_kept_whole() -> None:
    from alpr.model.transforms import BoardCrop

    np.random.seed(0)
    out = BoardCrop(crop_size=(320, 256), margin=8).transform(_results([("l_board", (40.0, 100.0, 480.0, 160.0))]))
    assert out["img"].shape[:2] == (256, 456)  # 440 px board + 2 x 8 px margin
    x1, _, x2, _ = out["gt_bboxes"].numpy()[0]
    assert x2 - x1 == pytest.approx(440)
    small = BoardCrop(crop_size=(320, 256)).transform(_results([("r_board", (10.0, 10.0, 100.0, 60.0))], size=(240, 300)))
    assert small["img"].shape[:2] == (240, 300) and len(small["gt_bboxes_labels"]) == 1
