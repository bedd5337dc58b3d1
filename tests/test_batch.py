"""Batch predictions and pre-labelling with the committed reference checkpoint: the `batch`
pipeline through `run.py` on the local stack, the labelme files it writes going back through
ingest, and bad files in the source listed with their reasons, nothing in it changed."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import pytest

from alpr.labelme import read_labelme_folder
from alpr.project import PROJECT_ROOT
from alpr.synth import SynthOptions, generate_dataset

CHECKPOINT = Path(__file__).parent / "fixtures" / "alpr-detector.pth"
#: camera frames, one or two plates 110-200 px wide, gently turned, in the classic look the
#: reference model trained on
PHOTOS = SynthOptions.classic(image_sizes=[(1280, 720), (640, 480)], plates_per_image=(1, 2), regular_width=(110, 200),
                              max_rotation_deg=6.0, closeup_fraction=0.0, portrait_fraction=0.0)


def _truth(folder: Path) -> dict[str, list[str]]:
    """Photo file -> sorted "shape:text" of its plates, from generated labelme files."""
    out = {}
    for path in folder.glob("*.json"):
        doc = json.loads(path.read_text())
        out[doc["imagePath"]] = sorted(s["description"] for s in doc["shapes"] if s["label"].endswith("_board"))
    return out


def _photos_only(generated: Path, target: Path) -> Path:
    target.mkdir()
    for jpg in generated.glob("*.jpg"):
        shutil.copy(jpg, target / jpg.name)
    return target


def _snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def detector():
    from alpr.classes import BOARD_CLASSES
    from alpr.model.detector import Detector

    return Detector(str(CHECKPOINT), mask_classes=list(BOARD_CLASSES))


def test_batch_command_reads_a_folder_and_prelabels_what_ingest_takes_back(tmp_path: Path) -> None:
    generated = tmp_path / "generated"
    generate_dataset(str(generated), n=5, seed=31337, options=PHOTOS, progress=False)
    truth = _truth(generated)
    photos = _photos_only(generated, tmp_path / "photos")
    env = {**os.environ, "ZENML_CONFIG_PATH": str(tmp_path / "zen")}
    done = subprocess.run([sys.executable, "run.py", "--stack", "local", "batch", str(photos), "--model",
                           str(CHECKPOINT), "--prelabel"], cwd=PROJECT_ROOT, capture_output=True, text=True, env=env,
                          timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "status: completed" in done.stdout and "photos: 5" in done.stdout and "labelme written: 5" in done.stdout
    csv_path = next(line for line in done.stdout.splitlines() if line.startswith("readings: ")).split()[1]
    rows = list(csv.DictReader(open(csv_path)))
    every = json.loads(Path(csv_path).with_name("readings.json").read_text())
    assert sorted(p["file"] for p in every["photos"]) == sorted(truth) and every["skipped"] == []
    assert (Path(csv_path).parent / "summary.md").is_file()  # what the dashboard shows
    read = {name: sorted(f"{r['shape']}:{r['text']}" for r in rows if r["file"] == name) for name in truth}
    # one CSV row per plate read, as readings.json lists them photo by photo
    assert read == {p["file"]: sorted(f"{r['shape']}:{r['text']}" for r in p["plates"]) for p in every["photos"]}
    exact = sum(len(set(read[name]) & set(truth[name])) for name in truth)
    assert exact >= 0.6 * sum(map(len, truth.values()))  # the reference model reads ~0.9 of such plates

    # the labelme files go straight back through ingest, and say what was read
    annotations, report = read_labelme_folder(str(photos), progress=False)
    assert report.problems == [] and report.valid == 5
    for item in annotations.images:
        groups: dict[int, list] = {}
        for shape in item.shapes:
            groups.setdefault(shape.group_id, []).append(shape)
        descriptions = []
        for shapes in groups.values():
            board = next(s for s in shapes if s.label.endswith("_board"))
            shape, text = board.description.split(":")
            prefix = board.label[0]
            if len(shapes) > 1:  # a plate the plate reader read alone comes as its board only
                assert sorted(s.label for s in shapes if "_" in s.label) == sorted(
                    f"{prefix}_{k}" for k in ("board", "m_n", "s_n"))
                assert sorted(s.label for s in shapes if "_" not in s.label) == sorted(text.lower())
            descriptions.append(board.description)
        assert sorted(descriptions) == read[item.image_file]


def test_bad_files_are_listed_and_the_source_left_as_it_was(detector, tmp_path: Path) -> None:
    from alpr.batch import read_photos

    generate_dataset(str(tmp_path / "generated"), n=2, seed=5150, options=PHOTOS, progress=False)
    source = tmp_path / "photos"
    (source / "sub").mkdir(parents=True)
    good = (tmp_path / "generated" / "img_000000.jpg").read_bytes()
    (source / "good.jpg").write_bytes(good)
    (source / "good.json").write_text("my own annotation")  # a person's work: never replaced unasked
    image = cv2.imread(str(tmp_path / "generated" / "img_000001.jpg"))
    cv2.imwrite(str(source / "sub" / "also.png"), image)
    (source / "notes.txt").write_text("not a photo")
    (source / "broken.jpg").write_bytes(good[: len(good) // 2])
    (source / "empty.png").write_bytes(b"")
    before = _snapshot(source)
    model = {"name": "alpr-detector", "version": "ref", "uri": str(CHECKPOINT)}

    readings = read_photos(detector, str(source), model, progress=False)
    assert _snapshot(source) == before  # reading only
    assert sorted(p.file for p in readings.photos) == ["good.jpg", "sub/also.png"]
    reasons = {s.file: s.reason for s in readings.skipped}
    assert set(reasons) == {"broken.jpg", "empty.png", "notes.txt"}
    assert "corrupt or truncated" in reasons["broken.jpg"] and "not a JPEG or PNG" in reasons["notes.txt"]
    assert readings.summary()["skipped_files"] == 3 and readings.summary()["photos"] == 2
    assert all(p.plates for p in readings.photos)

    readings = read_photos(detector, str(source), model, prelabel=True, progress=False)
    assert {p.file: p.labelme for p in readings.photos} == {"good.jpg": "kept", "sub/also.png": "written"}
    assert (source / "good.json").read_text() == "my own annotation"
    assert set(_snapshot(source)) - set(before) == {"sub/also.json"}
    assert json.loads((source / "sub" / "also.json").read_text())["imagePath"] == "also.png"

    readings = read_photos(detector, str(source), model, prelabel=True, overwrite_labels=True, progress=False)
    assert readings.summary()["labelme_written"] == 2
    assert json.loads((source / "good.json").read_text())["imagePath"] == "good.jpg"

    one = read_photos(detector, str(source / "good.jpg"), model, progress=False)  # a single photo
    assert [p.file for p in one.photos] == ["good.jpg"] and not one.skipped
    with pytest.raises(FileNotFoundError, match="no such folder"):
        read_photos(detector, str(tmp_path / "nowhere"), model)


def test_batch_reads_and_prelabels_a_bucket_prefix(detector, gcs_emulator: str, tmp_path: Path) -> None:
    import warnings

    from alpr.batch import read_photos
    from alpr.fsutil import open_fs

    warnings.simplefilter("ignore", FutureWarning)
    generate_dataset(str(tmp_path / "generated"), n=2, seed=8086, options=PHOTOS, progress=False)
    fs, _ = open_fs("gs://alpr/batch-photos")
    for jpg in sorted((tmp_path / "generated").glob("*.jpg")):
        fs.pipe_file(f"alpr/batch-photos/{jpg.name}", jpg.read_bytes())
    readings = read_photos(detector, "gs://alpr/batch-photos", {"name": "ref"}, prelabel=True, progress=False)
    assert readings.summary()["labelme_written"] == 2
    _, report = read_labelme_folder("gs://alpr/batch-photos", progress=False)
    assert report.valid == 2 and not report.problems


def test_batch_config_and_command_refuse_a_missing_source_before_running(tmp_path: Path) -> None:
    env = {**os.environ, "ZENML_CONFIG_PATH": str(tmp_path / "zen")}
    for args, message in ((["--config", "batch.yaml"], "parameters.batch.source: Value error, batch.source is empty"),
                          (["batch", " "], "batch.source is empty"),
                          (["batch", str(tmp_path / "nowhere")], "no such folder or file")):
        done = subprocess.run([sys.executable, "run.py", *args], cwd=PROJECT_ROOT, capture_output=True, text=True,
                              env=env, timeout=300)
        assert done.returncode != 0 and message in done.stderr, (args, done.stderr[-2000:])
        assert "Traceback" not in done.stderr
