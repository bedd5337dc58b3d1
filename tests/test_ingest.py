"""Ingest: every bad-input case is reported by file with a clear reason, and nothing is lost."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import fsspec
import pytest

from alpr.labelme import IngestError, read_labelme_folder


def _edit(folder: Path, name: str, change) -> None:
    path = folder / name
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc))


def _problems(folder: Path, max_bad: float = 1.0) -> dict[str, str]:
    _, report = read_labelme_folder(str(folder), max_bad_fraction=max_bad, progress=False)
    return {p.file: p.reason for p in report.problems}


def test_clean_folder_is_all_valid(synth_folder: Path) -> None:
    annotations, report = read_labelme_folder(str(synth_folder), progress=False)
    assert report.total == report.valid == 20 and report.problems == []
    assert len(annotations.images) == 20 and len(annotations.content_hash) == 64
    again, _ = read_labelme_folder(str(synth_folder), progress=False)
    assert again.content_hash == annotations.content_hash


@pytest.mark.parametrize(
    ("name", "change", "expected"),
    [
        ("img_000001.json", lambda d: d["shapes"].__setitem__(0, {**d["shapes"][0], "label": "z"}), "shape 0 (label 'z'): unknown label"),
        ("img_000002.json", lambda d: d["shapes"][1].__setitem__("points", [[1, 1], [2, 2]]), "polygon has 2 points, needs at least 3"),
        ("img_000003.json", lambda d: d["shapes"][2].__setitem__("points", [[1, 1], [900, 2], [5, 5]]), "point (900, 2) lies outside the 640x480 image"),
        ("img_000004.json", lambda d: d.__setitem__("imageWidth", 320), "size mismatch: image is 640x480 but imageWidth x imageHeight says 320x480"),
        ("img_000005.json", lambda d: d.__setitem__("imagePath", "missing.jpg"), "image file not found: missing.jpg"),
        ("img_000006.json", lambda d: d.pop("shapes"), "missing field 'shapes'"),
        ("img_000007.json", lambda d: d["shapes"][0].__setitem__("shape_type", "rectangle"), "shape_type 'rectangle' is not supported"),
        ("img_000008.json", lambda d: d.__setitem__("imageHeight", "480"), "field 'imageHeight' must be int"),
        ("img_000009.json", lambda d: d["shapes"][0].__setitem__("points", [[1, "a"], [2, 2], [3, 3]]), "'points' must be a list of [x, y] numbers"),
    ],
)
def test_bad_annotation_is_reported(labelme_copy: Path, name: str, change, expected: str) -> None:
    _edit(labelme_copy, name, change)
    annotations, report = read_labelme_folder(str(labelme_copy), max_bad_fraction=0.5, progress=False)
    problems = {p.file: p.reason for p in report.problems}
    assert list(problems) == [name]
    assert expected in problems[name]
    assert report.valid == 19 and report.total == 20
    assert name not in {i.json_file for i in annotations.images}


def test_unreadable_json(labelme_copy: Path) -> None:
    (labelme_copy / "img_000003.json").write_text("{ not json")
    assert _problems(labelme_copy)["img_000003.json"].startswith("invalid JSON:")


def test_unreadable_and_truncated_images(labelme_copy: Path) -> None:
    (labelme_copy / "img_000004.jpg").write_bytes(b"this is not an image")
    problems = _problems(labelme_copy)
    assert problems["img_000004.json"] == "image unreadable (not a decodable image): img_000004.jpg"


def test_duplicate_image(labelme_copy: Path) -> None:
    (labelme_copy / "img_000011.jpg").write_bytes((labelme_copy / "img_000010.jpg").read_bytes())
    _edit(labelme_copy, "img_000011.json", lambda d: d.update(shapes=[]))  # same image, other labels
    problems = _problems(labelme_copy)
    assert problems == {"img_000011.json": "duplicate image: same content as the image of img_000010.json"}


def test_image_without_annotation_is_reported(labelme_copy: Path) -> None:
    (labelme_copy / "img_000012.json").unlink()
    _, report = read_labelme_folder(str(labelme_copy), progress=False)
    assert [(p.file, p.reason) for p in report.problems] == [
        ("img_000012.jpg", "image has no labelme annotation file")
    ]
    assert report.total == 20 and report.valid == 19


def test_embedded_image_data_is_accepted(labelme_copy: Path) -> None:
    data = base64.b64encode((labelme_copy / "img_000013.jpg").read_bytes()).decode()
    (labelme_copy / "img_000013.jpg").unlink()
    _edit(labelme_copy, "img_000013.json", lambda d: d.update(imageData=data))
    annotations, report = read_labelme_folder(str(labelme_copy), progress=False)
    assert report.problems == []
    assert any(i.embedded_image for i in annotations.images)


def test_too_many_bad_files_fails_with_summary(labelme_copy: Path) -> None:
    for i in range(3):
        (labelme_copy / f"img_00000{i}.json").write_text("[]")
    with pytest.raises(IngestError) as err:
        read_labelme_folder(str(labelme_copy), max_bad_fraction=0.1, progress=False)
    message = str(err.value)
    assert "3 of 20 files are bad (15.0% > allowed 10.0%)" in message
    assert "img_000000.json: top level must be a JSON object" in message


def test_empty_or_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="no labelme .json files"):
        read_labelme_folder(str(tmp_path), progress=False)
    with pytest.raises(IngestError, match="not a folder"):
        read_labelme_folder(str(tmp_path / "nope"), progress=False)


def test_reads_from_any_fsspec_url(synth_folder: Path) -> None:
    """The same code reads gs:// in production; memory:// proves it is not tied to local paths."""
    fs = fsspec.filesystem("memory")
    for path in sorted(synth_folder.iterdir())[:6]:
        fs.pipe_file(f"/plates/{path.name}", path.read_bytes())
    annotations, report = read_labelme_folder("memory://plates", progress=False)
    assert report.valid == 3 and len(annotations.images) == 3


def test_tree_fingerprint_follows_every_change(labelme_copy: Path) -> None:
    from alpr.fsutil import tree_fingerprint

    first = tree_fingerprint(str(labelme_copy))
    assert tree_fingerprint(str(labelme_copy)) == first
    (labelme_copy / "img_000001.json").write_text((labelme_copy / "img_000001.json").read_text() + " ")
    edited = tree_fingerprint(str(labelme_copy))
    (labelme_copy / "img_000002.json").rename(labelme_copy / "renamed.json")
    renamed = tree_fingerprint(str(labelme_copy))
    (labelme_copy / "renamed.json").unlink()
    assert len({first, edited, renamed, tree_fingerprint(str(labelme_copy))}) == 4
