"""The failure-analysis bench on the reference model: causes, breakdowns by style, gallery."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from alpr.foreign import generate_foreign
from alpr.metrics.plate_rate import MISS_CAUSES
from alpr.synth import SynthOptions, generate_dataset
from bench.failures import analyse
from bench.photo_sizes import plate_scale_overrides


def test_misses_are_counted_by_cause_and_by_what_the_plate_looked_like(tmp_path: Path, reference_checkpoint: Path) -> None:
    """Foreign and generated photos, one with a flat untilted board painted out of the pixels
    (nothing there to find): every plate is read or has one cause; the painted one is a board
    not found on a plain board; every breakdown covers every plate; the gallery shows misses."""
    folder = tmp_path / "photos"
    generate_foreign(str(folder), n=3, seed=12, progress=False)
    plain = SynthOptions.classic(image_sizes=[(640, 480)], plates_per_image=(2, 2), regular_width=(110, 160),
                                 max_rotation_deg=0.0, max_perspective=0.0, blur_probability=0.0)
    generate_dataset(str(tmp_path / "synth"), n=2, seed=8, options=plain, progress=False)
    for i, json_file in enumerate(sorted((tmp_path / "synth").glob("*.json"))):
        doc = json.loads(json_file.read_text())
        image = cv2.imread(str(tmp_path / "synth" / doc["imagePath"]))
        if i == 0:  # the first board painted over with its own background colour
            board = next(s for s in doc["shapes"] if s["label"].endswith("_board"))
            cv2.fillPoly(image, [np.array(board["points"], np.int32)], tuple(int(v) for v in image[2, 2]))
        doc["imagePath"] = f"synth_{i}.jpg"
        cv2.imwrite(str(folder / doc["imagePath"]), image)
        (folder / f"synth_{i}.json").write_text(json.dumps(doc))

    result = analyse(str(reference_checkpoint), str(folder), tmp_path / "out", worst=8)
    assert result["photos"] == 5 and result["bad_files"] == 0
    misses = sum(result["causes"].values())
    assert set(result["causes"]) == set(MISS_CAUSES)
    assert misses == result["plates"] - round(result["eir"] * result["plates"]) and misses >= 1
    assert result["causes"]["board not found"] >= 1 and result["not_found_on_plain_boards"] >= 1
    by = result["by"]
    for key in ("plate_width", "tilt", "photo_size", "shape", "font", "paint", "background"):
        assert sum(row["plates"] for row in by[key].values()) == result["plates"], key
        assert sum(sum(row.get(c, 0) for c in MISS_CAUSES) for row in by[key].values()) == misses, key
    sizes = result["buckets"]["photo_size"]  # precision too, per photo size
    assert sizes.keys() == by["photo_size"].keys()
    assert all(sizes[k]["eir"] == by["photo_size"][k]["eir"] and 0 <= sizes[k]["plate_precision"] <= 1 for k in sizes)
    assert sum(row["exact"] for row in sizes.values()) == result["plates"] - misses
    assert sum(row["predicted_plates"] for row in sizes.values()) >= result["plates"] - misses + result["false_readings"]
    assert {"street", "procedural"} <= set(by["background"]) or {"photo", "procedural"} <= set(by["background"])
    assert any(font.startswith(("freefont/", "noto/")) for font in by["font"])
    assert any(font.startswith("hershey:") for font in by["font"])
    sweep = result["score_sweep"]  # a minimum score: no threshold first, then fewer readings kept
    assert sweep[0]["min_score"] == 0 and (sweep[0]["eir"], sweep[0]["plate_precision"]) == (
        result["eir"], result["plate_precision"])
    assert sweep[0]["wrong_readings"] == len(result["wrong_readings"]) >= result["false_readings"]
    assert all(a["eir"] >= b["eir"] and a["wrong_readings"] >= b["wrong_readings"] for a, b in zip(sweep, sweep[1:]))
    assert all(0 < row["score"] <= 1 for row in result["wrong_readings"])
    assert json.loads((tmp_path / "out" / "failures.json").read_text())["causes"] == result["causes"]
    gallery = cv2.imread(result["gallery"])
    assert gallery is not None and gallery.shape[1] == 4 * 320 and gallery.shape[0] >= 170
    shutil.rmtree(tmp_path / "synth")


def test_plate_scale_overrides_are_typed_and_checked() -> None:
    """The benches' ``--plate-scale NAME=VALUE``: JSON values become PlateScale fields; an
    unknown name, a value that is not JSON or one the model refuses stops before any photo."""
    assert plate_scale_overrides(["retry_scales=[]", "find_min_scale=0.4", "view_read_confidence=null"]) == {
        "retry_scales": [], "find_min_scale": 0.4, "view_read_confidence": None}
    for bad in ("find_min_scal=0.4", "find_min_scale", "retry_scales=[1.25,", "find_min_scale=2"):
        with pytest.raises(SystemExit, match="--plate-scale"):
            plate_scale_overrides([bad])
