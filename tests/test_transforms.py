"""BoardCrop: the training window holds the chosen plate whole and drops instances it cuts."""

from __future__ import annotations

import numpy as np
import pytest

from alpr.boxes import box_overlaps
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
    ox, oy = 200.0 - x1, 150.0 - y1  # where the window lies in the photo, from where the board landed
    visible = box_overlaps(far, (ox, oy, ox + 320, oy + 256), mode="iof")
    assert (category_id("2") - 1 in labels) == (visible >= 0.6), visible


def test_board_wider_than_window_widens_it_and_small_images_are_kept_whole() -> None:
    from alpr.model.transforms import BoardCrop

    np.random.seed(0)
    out = BoardCrop(crop_size=(320, 256), margin=8).transform(_results([("l_board", (40.0, 100.0, 480.0, 160.0))]))
    assert out["img"].shape[:2] == (256, 456)  # 440 px board + 2 x 8 px margin
    x1, _, x2, _ = out["gt_bboxes"].numpy()[0]
    assert x2 - x1 == pytest.approx(440)
    small = BoardCrop(crop_size=(320, 256)).transform(_results([("r_board", (10.0, 10.0, 100.0, 60.0))], size=(240, 300)))
    assert small["img"].shape[:2] == (240, 300) and len(small["gt_bboxes_labels"]) == 1


@pytest.mark.parametrize("seed", range(10))
def test_plate_scale_resize_reads_at_the_reading_scale_or_finds_at_the_finding_scale(seed: int) -> None:
    """A 4K photo with one 300 px regular plate comes out either with that board at the reading
    width, or as the photo's finding view; glyphs too small to read there are dropped."""
    from alpr.model.plate_scale import PlateScale
    from alpr.model.transforms import PlateScaleResize

    np.random.seed(seed)
    board = (1000.0, 800.0, 1300.0, 1030.0)  # 300 px wide
    glyph = (1020.0, 820.0, 1060.0, 880.0)  # 60 px high
    resize = PlateScaleResize(fit_size=(384, 288), read_fraction=0.5, jitter=0.0)
    out = resize.transform(_results([("r_board", board), ("1", glyph)], size=(2160, 3840)))
    h, w = out["img"].shape[:2]
    factor = w / 3840
    assert abs(h / 2160 - factor) < 0.01 and out["gt_masks"].width == w
    boxes = out["gt_bboxes"].numpy()
    lo, hi = PlateScale().read_width["regular"]
    if lo - 1 <= boxes[0, 2] - boxes[0, 0] <= hi + 1:  # reading: the glyph is 60 * factor >= 12 px high
        assert len(boxes) == 2
    else:  # finding: 4K fitted into 384x288 is below the finding scale 0.3, which wins
        assert abs(factor - 0.3) < 1e-3
        assert len(boxes) == 2  # the glyph is 18 px high there, still kept
    tiny = resize.transform(_results([("r_board", board), ("1", (1020.0, 820.0, 1030.0, 835.0))], size=(2160, 3840)))
    assert [category_id("r_board") - 1] == list(tiny["gt_bboxes_labels"])  # a 15 px glyph becomes < 7 px: dropped


def test_photo_decoded_at_the_resolution_the_scale_needs(tmp_path) -> None:
    """LoadPhotoSize reads the header only; PlateScaleResize decodes (reduced when it can) and
    lands on the same pixels and boxes as resizing the whole decoded photo."""
    import cv2

    from alpr.model.transforms import LoadPhotoSize, PlateScaleResize

    photo = np.zeros((2160, 3840, 3), np.uint8)
    cv2.rectangle(photo, (1000, 800), (1299, 1029), (255, 255, 255), -1)
    path = tmp_path / "photo.jpg"
    cv2.imwrite(str(path), photo)
    results = _results([("r_board", (1000.0, 800.0, 1300.0, 1030.0))], size=(2160, 3840))
    results = LoadPhotoSize().transform({**results, "img": None, "img_path": str(path)})
    assert results["img"] is None and results["ori_shape"] == (2160, 3840)
    np.random.seed(0)
    out = PlateScaleResize(fit_size=(384, 288), read_fraction=0.0, jitter=0.0).transform(results)
    assert out["img"].shape == (648, 1152, 3)  # the finding view of a 4K photo: scale 0.3
    x1, y1, x2, y2 = out["gt_bboxes"].numpy()[0]
    assert (x1, y1, x2, y2) == pytest.approx((300, 240, 390, 309), abs=0.5)
    assert out["img"][int(y1) + 5, int(x1) + 5].min() > 200 and out["img"][int(y1) - 5, int(x1) - 5].max() < 50
