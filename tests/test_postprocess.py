"""read_plates on hand-made detection lists and on perfect detections of generated images."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from alpr.boxes import box_overlaps
from alpr.postprocess import Detection, ReadOptions, read_plates


def det(label: str, box, score: float = 0.9, polygon=None) -> Detection:
    return Detection(label=label, score=score, bbox=tuple(float(v) for v in box), polygon=polygon)


def long_plate(x: float, y: float, text: str = "01A2345", score: float = 0.95, dx: float = 20.0):
    """A long plate at (x, y): board, two areas and 7 glyphs 16x24 px."""
    dets = [det("l_board", (x, y, x + 7 * dx + 40, y + 40), score)]
    xs = [x + 10 + i * dx + (10 if i >= 3 else 0) for i in range(7)]
    dets.append(det("l_s_n", (xs[0] - 3, y + 5, xs[2] + 19, y + 35)))
    dets.append(det("l_m_n", (xs[3] - 3, y + 5, xs[6] + 19, y + 35)))
    for ch, gx in zip(text, xs):
        dets.append(det(ch.lower(), (gx, y + 8, gx + 16, y + 32)))
    return dets


def regular_plate(x: float, y: float, text: str = "77E0918", score: float = 0.9):
    dets = [det("r_board", (x, y, x + 120, y + 80), score)]
    top = [x + 25 + i * 22 for i in range(3)]
    bottom = [x + 15 + i * 24 for i in range(4)]
    dets.append(det("r_s_n", (top[0] - 3, y + 5, top[2] + 19, y + 37)))
    dets.append(det("r_m_n", (bottom[0] - 3, y + 40, bottom[3] + 19, y + 75)))
    for ch, gx in zip(text[:3], top):
        dets.append(det(ch.lower(), (gx, y + 8, gx + 16, y + 34)))
    for ch, gx in zip(text[3:], bottom):
        dets.append(det(ch.lower(), (gx, y + 45, gx + 16, y + 71)))
    return dets


def test_long_and_regular_plates_are_read() -> None:
    readings = read_plates(long_plate(10, 10) + regular_plate(300, 200))
    assert sorted(r.text for r in readings) == ["01A2345", "77E0918"]
    by_text = {r.text: r.as_dict() for r in readings}
    long = by_text["01A2345"]
    assert long["shape"] == "long" and long["region"] == "01" and long["vehicle_type"] == "A"
    assert long["serial"] == "2345" and long["bbox"] == [10.0, 10.0, 190.0, 50.0]
    assert long["center"] == [100.0, 30.0] and long["width"] == 180.0 and long["height"] == 40.0
    assert by_text["77E0918"]["shape"] == "regular"


def test_input_order_does_not_matter() -> None:
    dets = long_plate(10, 10, "55C9876")
    assert [r.text for r in read_plates(list(reversed(dets)))] == ["55C9876"]


def test_duplicate_glyph_of_other_class_loses_to_higher_score() -> None:
    dets = long_plate(10, 10, "01A2345")
    three = next(d for d in dets if d.label == "3")
    dets.append(det("8", three.bbox, score=0.5))  # same place, other class, lower score
    assert [r.text for r in read_plates(dets)] == ["01A2345"]


def test_position_reads_the_class_its_grammar_slot_allows() -> None:
    """A letter's place read as "8" (0.9) but also seen as "b" (0.4) reads "B"; a serial digit
    seen as "a" (0.8) and "4" (0.5) reads "4"."""
    dets = long_plate(10, 10, "01B2345")
    letter = next(d for d in dets if d.label == "b")
    four = next(d for d in dets if d.label == "4")
    dets = [d for d in dets if d not in (letter, four)]
    dets += [det("8", letter.bbox, 0.9), det("b", letter.bbox, 0.4)]
    dets += [det("a", four.bbox, 0.8), det("4", (four.bbox[0] + 1, *four.bbox[1:]), 0.5)]
    (reading,) = read_plates(dets)
    assert reading.text == "01B2345"
    assert [g.score for g in reading.glyphs][2] == 0.4  # the score of the class actually read


def test_glyph_slots_group_overlaps_and_keep_best_score_per_class() -> None:
    from alpr.postprocess import glyph_slots

    a = det("3", (0, 0, 10, 20), 0.9)
    b = det("8", (1, 0, 11, 20), 0.6)
    c = det("8", (0, 1, 10, 21), 0.7)
    far = det("1", (30, 0, 40, 20), 0.5)
    slots = glyph_slots([b, far, c, a], iou_threshold=0.4)
    assert [s.best for s in slots] == [a, far]
    assert slots[0].scores == {"3": 0.9, "8": 0.7}
    assert slots[0].read({"8"}).label == "8" and slots[0].read({"a"}) is None


def test_missing_glyph_makes_plate_invalid_with_reason() -> None:
    dets = [d for d in long_plate(10, 10) if d.label != "4"]
    assert read_plates(dets) == []
    (invalid,) = read_plates(dets, ReadOptions(include_invalid=True))
    assert not invalid.valid and invalid.reason == "found 6 glyphs, a plate has 7"
    assert invalid.as_dict()["valid"] is False


def test_grammar_is_checked() -> None:
    dets = long_plate(10, 10, "0112345")  # a digit where the letter belongs
    (invalid,) = read_plates(dets, ReadOptions(include_invalid=True))
    assert "does not match NN L NNNN" in invalid.reason


def test_low_score_false_positive_glyph_is_dropped() -> None:
    dets = long_plate(10, 10, "01A2345")
    dets.append(det("9", (140, 15, 150, 25), score=0.35))  # spurious glyph inside the main area
    assert [r.text for r in read_plates(dets)] == ["01A2345"]


def test_overlapping_plates_keep_their_own_glyphs() -> None:
    a = long_plate(10, 10, "11B1111")
    b = long_plate(60, 48, "22C2222")  # overlaps a's board on its lower right
    readings = read_plates(a + b)
    assert sorted(r.text for r in readings) == ["11B1111", "22C2222"]


def test_duplicate_boards_are_one_plate() -> None:
    dets = long_plate(10, 10)
    dets.append(det("l_board", (12, 11, 191, 51), 0.6))
    assert len(read_plates(dets)) == 1


def _without(dets, label):
    return [d for d in dets if d.label != label]


def test_long_board_seen_as_two_fragments_is_read() -> None:
    """No whole board, only its left and right parts: their union is the plate."""
    dets = _without(long_plate(10, 10, "42E8080"), "l_board")  # board would be (10, 10, 190, 50)
    dets += [det("l_board", (10, 10, 130, 50), 0.7), det("l_board", (70, 10, 190, 50), 0.2)]
    (reading,) = read_plates(dets)
    assert reading.text == "42E8080" and reading.bbox == (10.0, 10.0, 190.0, 50.0)
    # the weak part alone (below board_threshold) starts no plate, and below fragment_threshold
    # it cannot widen one either (nor can number areas, here missing)
    no_areas = [d for d in dets if not d.label.endswith("_n")]
    assert read_plates(no_areas, ReadOptions(fragment_threshold=0.3)) == []


def test_box_spanning_two_plates_does_not_mix_their_glyphs() -> None:
    """A weaker board box covering a plate and half its neighbour: each plate keeps its own."""
    a = long_plate(10, 10, "11A1111")
    b = long_plate(200, 20, "22B2222")
    wide = det("l_board", (5, 5, 300, 62), 0.6)
    assert sorted(r.text for r in read_plates(a + b + [wide])) == ["11A1111", "22B2222"]


def test_glyph_just_outside_the_board_outline_still_counts() -> None:
    dets = long_plate(10, 10, "70D1234")
    board = next(d for d in dets if d.label == "l_board")
    last = max((d for d in dets if d.label == "4"), key=lambda d: d.bbox[0])
    x1, y1, x2, y2 = board.bbox
    cut = last.center[0] - 3  # the outline ends 3 px before the last glyph's centre
    outline = ((x1, y1), (cut, y1), (cut, y2), (x1, y2))
    dets = [d for d in dets if d is not board] + [det("l_board", (x1, y1, cut, y2), 0.9, outline)]
    assert [r.text for r in read_plates(dets)] == ["70D1234"]  # within 15 % of the 40 px height
    no_areas = [d for d in dets if not d.label.endswith("_n")]
    assert read_plates(no_areas, ReadOptions(board_margin=0.0)) == []


def test_board_detected_too_short_is_widened_by_its_number_areas() -> None:
    dets = _without(long_plate(10, 10, "18C4321"), "l_board")
    dets.append(det("l_board", (10, 10, 120, 50), 0.9))  # cuts off the last three glyphs
    (reading,) = read_plates(dets)
    assert reading.text == "18C4321" and reading.bbox[2] == pytest.approx(169)  # the main area's end
    assert read_plates(_without(_without(dets, "l_m_n"), "l_s_n")) == []


def test_plate_whose_board_was_missed_is_read_from_its_number_areas() -> None:
    long = _without(long_plate(10, 10, "05B6789"), "l_board")
    regular = _without(regular_plate(300, 200, "93A1000"), "r_board")
    readings = {r.text: r for r in read_plates(long + regular)}
    assert sorted(readings) == ["05B6789", "93A1000"]
    assert readings["05B6789"].shape == "long" and readings["93A1000"].shape == "regular"
    assert box_overlaps(readings["05B6789"].bbox, (10, 10, 190, 50)) > 0.7
    assert box_overlaps(readings["93A1000"].bbox, (300, 200, 420, 280)) > 0.6
    # weak areas, or one area alone, make no plate
    assert read_plates(long, ReadOptions(area_plate_threshold=0.95)) == []
    assert read_plates(_without(long, "l_s_n")) == []


def test_areas_on_a_detected_board_make_no_second_plate() -> None:
    assert len(read_plates(long_plate(10, 10) + regular_plate(300, 200))) == 2


def test_extra_glyph_outside_the_number_areas_is_ignored() -> None:
    dets = long_plate(10, 10, "01A2345")
    dets.append(det("7", (180, 12, 188, 22), 0.95))  # on the board's edge, outside both areas
    assert [r.text for r in read_plates(dets)] == ["01A2345"]


def test_missing_areas_fall_back_to_geometry() -> None:
    long = [d for d in long_plate(10, 10, "31D0007") if not d.label.endswith("_n")]
    regular = [d for d in regular_plate(300, 200, "64B5150") if not d.label.endswith("_n")]
    assert sorted(r.text for r in read_plates(long + regular)) == ["31D0007", "64B5150"]


def test_rotated_long_plate_with_outline() -> None:
    """A plate rotated by 30 degrees: read along its own axis, not the image's x axis."""
    import numpy as np

    theta = np.deg2rad(30)
    rot = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    origin = np.array([200.0, 100.0])

    def place(box):
        x1, y1, x2, y2 = box
        pts = np.array([[x1, y1], [x2, y1], [x2, y2], [x1, y2]]) @ rot.T + origin
        return pts

    dets = []
    for d in long_plate(0, 0, "90E1234"):
        pts = place(d.bbox)
        box = (*pts.min(0), *pts.max(0))
        polygon = tuple(map(tuple, pts)) if d.label == "l_board" else None
        dets.append(det(d.label, box, d.score, polygon))
    assert [r.text for r in read_plates(dets)] == ["90E1234"]


def test_no_detections_no_plates() -> None:
    assert read_plates([]) == []


def test_perfect_detections_of_generated_images_read_exactly(synth_folder: Path) -> None:
    """Every generated plate (rotated, perspective, both shapes) reads back as its truth."""
    truths, read = [], []
    for path in sorted(synth_folder.glob("*.json")):
        doc = json.loads(path.read_text())
        dets = []
        for s in doc["shapes"]:
            xs = [p[0] for p in s["points"]]
            ys = [p[1] for p in s["points"]]
            polygon = tuple(map(tuple, s["points"])) if s["label"].endswith("_board") else None
            dets.append(det(s["label"], (min(xs), min(ys), max(xs), max(ys)), 0.99, polygon))
            if s["label"].endswith("_board"):
                truths.append(s["description"])
        read += [f"{r.shape}:{r.text}" for r in read_plates(dets)]
    assert len(truths) > 25
    assert sorted(read) == sorted(truths)


def test_long_plate_also_seen_as_a_stronger_regular_board_reads_long() -> None:
    """A detector may call part of a long plate a regular board: the glyphs' one row decides."""
    dets = long_plate(10, 10, "26D5140", score=0.6)
    dets.append(det("r_board", (60, 8, 175, 52), 0.95))  # the right part of the long plate
    (reading,) = read_plates(dets)
    assert (reading.shape, reading.text, reading.bbox) == ("long", "26D5140", (10.0, 10.0, 190.0, 50.0))


def test_regular_plate_also_seen_as_a_stronger_long_board_reads_regular() -> None:
    dets = regular_plate(300, 200, "48C2277", score=0.5)
    dets.append(det("l_board", (298, 198, 422, 282), 0.9))
    (reading,) = read_plates(dets)
    assert (reading.shape, reading.text) == ("regular", "48C2277")


def test_positions_that_do_not_fit_the_boards_layout_are_no_reading() -> None:
    one_row = [d for d in long_plate(10, 10, "11A1111") if d.label != "l_board"]
    one_row.append(det("r_board", (10, 10, 190, 50)))  # only a regular board on a one-row plate
    (reading,) = read_plates(one_row, ReadOptions(include_invalid=True))
    assert not reading.valid and reading.reason == "glyphs do not form two rows"
    two_rows = [d for d in regular_plate(300, 200, "22B2222") if d.label != "r_board"]
    two_rows.append(det("l_board", (300, 200, 420, 280)))
    (reading,) = read_plates(two_rows, ReadOptions(include_invalid=True))
    assert not reading.valid and reading.reason == "glyphs do not form one row"


def test_a_plate_read_from_an_oversized_board_gets_a_box_around_its_glyphs() -> None:
    """A false board four times the plate (or fragments joined too wide) reads the plate's glyphs;
    the reading's box is cut to the glyphs and a board's margin (PLATE_MARGIN glyph heights)."""
    from alpr.postprocess import PLATE_MARGIN

    plate = [d for d in long_plate(200, 200) if d.label != "l_board"]
    (reading,) = read_plates([det("l_board", (0, 100, 800, 400))] + plate)
    assert reading.text == "01A2345"
    glyph_h = 24.0  # glyphs span x 210..356, y 208..232
    assert reading.bbox == pytest.approx((210 - PLATE_MARGIN[0] * glyph_h, 208 - PLATE_MARGIN[1] * glyph_h,
                                          356 + PLATE_MARGIN[0] * glyph_h, 232 + PLATE_MARGIN[1] * glyph_h))
    assert box_overlaps(reading.bbox, (200, 200, 380, 240)) > 0.5  # the true board's box
