"""The post-processing replay bench: its cache round trip, option parsing and failure categories."""

from __future__ import annotations

from pathlib import Path

import pytest

from alpr.postprocess import Detection, PlateReading, ReadOptions
from bench.postprocess_replay import failure, load_cache, parse_options, save_cache


def test_cache_round_trip_keeps_every_detection(tmp_path: Path) -> None:
    """Boards keep the plate reader's text: replays read them as serving does."""
    detections = {
        3: [Detection("r_board", 0.9, (1.0, 2.0, 30.0, 20.0), ((1.0, 2.0), (30.0, 2.0), (30.0, 20.0)),
                      "51a1234", 0.97),
            Detection("7", 0.4, (5.0, 5.0, 9.0, 12.0))],
        4: [],
    }
    save_cache(tmp_path / "d.json", detections)
    assert load_cache(tmp_path / "d.json") == detections


def test_options_are_typed_as_their_defaults() -> None:
    options = parse_options(["glyph_group_iou=0.5", "include_invalid=true"])
    assert options.glyph_group_iou == 0.5 and options.include_invalid is True
    assert options.board_margin == ReadOptions().board_margin
    with pytest.raises(SystemExit, match="no_such_field"):
        parse_options(["no_such_field=1"])


def test_failures_are_named_by_the_best_reading_at_the_plate() -> None:
    truth = {"shape": "long", "text": "01A2345", "bbox": (0.0, 0.0, 100.0, 20.0)}
    wrong = PlateReading("long", (0.0, 0.0, 100.0, 20.0), 0.9, "01", "A", "2845")
    invalid = PlateReading("long", (0.0, 0.0, 98.0, 20.0), 0.9, valid=False, reason="'01A2X45' does not match NN L NNNN")
    regular = PlateReading("regular", (1.0, 0.0, 100.0, 20.0), 0.9, "01", "A", "2345")
    far = PlateReading("long", (200.0, 0.0, 300.0, 20.0), 0.9, "01", "A", "2345")
    assert failure(truth, [invalid, wrong]) == "1 wrong character(s)"
    assert failure(truth, [invalid]) == "invalid: does not match NN L NNNN"
    assert failure(truth, [regular]) == "wrong shape"
    assert failure(truth, [far]) == "nothing read there"
