"""Plates are boxed by their painted board, not only by the text the detector hugs."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from alpr.boxes import box_overlaps
from alpr.model.board_edges import painted_board
from alpr.synth import generate_dataset
from bench.train_eval import DEFAULT_SYNTH, synth_options


def _street(width: int = 640, height: int = 480, seed: int = 0) -> np.ndarray:
    """Grey asphalt with noise, as a scene around a plate."""
    rng = np.random.default_rng(seed)
    return np.clip(rng.normal(100, 14, (height, width, 3)), 0, 255).astype(np.uint8)


def _plate(image: np.ndarray, board: tuple[int, int, int, int], paint=(40, 120, 240), ink=(250, 250, 250)) -> None:
    """A plate with wide margins: its text fills the middle half of the board."""
    x1, y1, x2, y2 = board
    cv2.rectangle(image, (x1, y1), (x2, y2), paint, cv2.FILLED)
    cv2.putText(image, "20-B", (x1 + 62, y1 + 44), cv2.FONT_HERSHEY_SIMPLEX, 0.9, ink, 3)
    cv2.putText(image, "0323", (x1 + 58, y1 + 84), cv2.FONT_HERSHEY_SIMPLEX, 1.1, ink, 3)


def _box(mask: np.ndarray, origin: tuple[int, int]) -> tuple[float, float, float, float]:
    ys, xs = np.nonzero(mask)
    return origin[0] + xs.min(), origin[1] + ys.min(), origin[0] + xs.max() + 1.0, origin[1] + ys.max() + 1.0


def test_a_board_is_found_whole_around_the_text_its_box_hugs() -> None:
    image = _street()
    board = (200, 180, 400, 290)
    _plate(image, board)
    text_box = (255.0, 205.0, 345.0, 275.0)  # what the detector boxes on such a plate: 0.29 IoU
    assert box_overlaps(text_box, board) < 0.5
    found = painted_board(image, text_box)
    assert found is not None
    assert box_overlaps(_box(*found), board) > 0.9
    # a board already boxed whole stays as it is
    again = painted_board(image, board)
    assert again is not None and box_overlaps(_box(*again), board) > 0.9


def test_a_board_is_found_the_same_way_each_time_without_touching_opencvs_random_state() -> None:
    image = _street()
    _plate(image, (200, 180, 400, 290), paint=(30, 170, 60), ink=(30, 60, 200))  # glyphs of the paint's lightness
    text_box = (255.0, 205.0, 345.0, 275.0)
    cv2.setRNGSeed(1234)
    expected = cv2.randu(np.zeros(4, np.float32), 0, 1).copy()
    cv2.setRNGSeed(1234)
    first = painted_board(image, text_box)
    assert np.array_equal(cv2.randu(np.zeros(4, np.float32), 0, 1), expected)
    second = painted_board(image, text_box)
    assert first is not None and second is not None
    assert first[1] == second[1] and np.array_equal(first[0], second[0])


@pytest.mark.parametrize("scene", ["a pole of the board's paint", "a tan wall behind a white board"])
def test_a_board_is_found_where_a_scene_of_a_near_colour_touches_it(scene: str) -> None:
    """A black board with a dark pole running from its edge off the photo (a tyre, a bracket),
    or a white board on a tan wall: the paint reaches the scene by a bridge narrower than the
    board, or the scene is near the paint only for a loose tolerance; the board is found whole."""
    image = _street()
    board = (200, 180, 400, 290)
    if scene == "a pole of the board's paint":
        cv2.rectangle(image, (296, 290), (302, 479), (28, 28, 28), cv2.FILLED)
        _plate(image, board, paint=(28, 28, 28), ink=(235, 235, 235))
    else:
        image[:] = (120, 170, 205)  # tan (BGR)
        _plate(image, board, paint=(228, 232, 232), ink=(20, 20, 20))
        image = cv2.GaussianBlur(image, (5, 5), 0)  # glyph edges blurred into the paint, as photographed
        image = cv2.imdecode(cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 80])[1], cv2.IMREAD_COLOR)
    found = painted_board(image, (255.0, 205.0, 345.0, 275.0))
    assert found is not None and box_overlaps(_box(*found), board) > 0.9


@pytest.mark.parametrize("case", ["paint runs into a car body", "cut by the photo's edge", "no paint around the box"])
def test_no_board_is_made_up_where_the_paint_does_not_end_like_a_plate(case: str) -> None:
    """Paint that leaks into the scene or runs off the photo gives no board: the detector's
    outline stays."""
    image = _street()
    if case == "paint runs into a car body":
        cv2.rectangle(image, (0, 100), (639, 400), (40, 120, 240), cv2.FILLED)  # a body of the board's colour
        _plate(image, (200, 180, 400, 290))
        box = (255.0, 205.0, 345.0, 275.0)
    elif case == "cut by the photo's edge":
        _plate(image, (-60, 180, 140, 290))
        box = (0.0, 205.0, 85.0, 275.0)
    else:  # noise only: no paint of one colour
        box = (255.0, 205.0, 345.0, 275.0)
    assert painted_board(image, box) is None


def test_a_patch_of_the_scene_behind_a_thin_tilted_plate_is_not_its_board(tmp_path: Path) -> None:
    """A long plate tilted across a blue patch of the generator's scene: the box the reference
    model gives it holds more of the patch than of the plate, so the patch's paint is the box's
    most common colour, and the patch is a clean quadrilateral; it must not become the board."""
    options = synth_options(DEFAULT_SYNTH).model_copy(
        update={"image_sizes": [(800, 600)], "image_size_weights": None, "portrait_fraction": 0.2})
    generate_dataset(str(tmp_path), n=30, seed=6162, options=options, progress=False)  # bench.photo_sizes' seed 6161
    doc = json.loads((tmp_path / "img_000029.json").read_text())
    plate = next(np.array(s["points"]) for s in doc["shapes"] if s["label"] == "l_board")
    truth = (*plate.min(axis=0), *plate.max(axis=0))
    found = painted_board(cv2.imread(str(tmp_path / doc["imagePath"])), (87.0, 283.0, 543.0, 459.0))
    assert found is None or box_overlaps(_box(*found), truth) > 0.5


def test_the_reference_model_boxes_a_wide_margined_4k_plate_whole(reference_checkpoint: Path) -> None:
    """A foreign-style plate with wide margins in a 4K photo: read right from a box around its
    text only (0.34 IoU with the board: counted as not found); with the painted edge, boxed whole."""
    from alpr.classes import BOARD_CLASSES
    from alpr.foreign import ForeignOptions, draw_foreign
    from alpr.model.detector import Detector, read_detected_plates

    # photo 14 of `python -m alpr.foreign DIR --seed 5` with 4K photos and plates up to 211 px
    _, jpeg, labelme, _, _ = draw_foreign((5, 14, ForeignOptions(image_sizes=[(3840, 2160)], max_width_fraction=0.055)))
    doc = json.loads(labelme)
    truth = next(s for s in doc["shapes"] if s.get("description") == "regular:20B0323")
    xs, ys = zip(*truth["points"])
    board = (min(xs), min(ys), max(xs), max(ys))
    photo = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    detector = Detector(str(reference_checkpoint), mask_classes=list(BOARD_CLASSES))

    def box_of_the_plate() -> tuple[float, float, float, float]:
        read = [r for r in read_detected_plates(detector.detect(photo)) if r.text == "20B0323"]
        assert len(read) == 1
        return read[0].bbox

    assert box_overlaps(box_of_the_plate(), board) > 0.9
    detector.configure_test(board_edges=False)
    assert box_overlaps(box_of_the_plate(), board) < 0.5


def test_a_boards_mask_joined_with_its_painted_board_keeps_the_detectors_box() -> None:
    from alpr.model.detector import DetectedObject

    text = DetectedObject("r_board", 0.9, (12.0, 13.0, 18.0, 19.0), np.ones((8, 8), bool), (11, 12))  # inside it
    board = np.zeros((20, 30), bool)
    board[5:15, 2:28] = True  # photo pixels x 7-32, y 10-19
    joined = text.with_mask_joined(board, (5, 5))
    assert joined.bbox == text.bbox and joined.mask.sum() == 260
    assert joined.to_detection().outline_box == (7.0, 10.0, 33.0, 20.0)
