"""COCO merge: loads with pycocotools, counts round-trip, split is seeded and stable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pycocotools.coco import COCO

from alpr.classes import CLASS_NAMES
from alpr.coco import SPLITS, SplitSpec, assign_splits, merge_to_coco, polygon_area
from alpr.labelme import read_labelme_folder


@pytest.fixture(scope="module")
def annotations(synth_folder: Path):
    return read_labelme_folder(str(synth_folder), progress=False)[0]


def test_merge_loads_with_pycocotools_and_counts_round_trip(annotations, tmp_path: Path) -> None:
    summary = merge_to_coco(annotations, str(tmp_path), SplitSpec(train=0.6, val=0.2, test=0.2), progress=False)
    assert sum(summary.images.values()) == 20 and all(summary.images.values())
    total_shapes = sum(len(i.shapes) for i in annotations.images)
    assert sum(summary.annotations.values()) == total_shapes
    per_class = {n: sum(summary.class_counts[s][n] for s in SPLITS) for n in CLASS_NAMES}
    assert per_class == annotations.label_counts()
    seen_images = set()
    for split in SPLITS:
        coco = COCO(str(tmp_path / "annotations" / f"{split}.json"))
        assert [c["name"] for c in coco.loadCats(coco.getCatIds())] == list(CLASS_NAMES)
        assert len(coco.getImgIds()) == summary.images[split]
        assert len(coco.getAnnIds()) == summary.annotations[split]
        for img in coco.loadImgs(coco.getImgIds()):
            assert (tmp_path / img["file_name"]).is_file()
            assert img["file_name"] not in seen_images  # an image is in one split only
            seen_images.add(img["file_name"])
            assert all(p["text"] and len(p["text"]) == 7 for p in img["plates"])
        for ann in coco.loadAnns(coco.getAnnIds()):
            assert ann["iscrowd"] == 0 and ann["area"] > 0
            x, y, w, h = ann["bbox"]
            xs, ys = ann["segmentation"][0][0::2], ann["segmentation"][0][1::2]
            assert (x, y) == (pytest.approx(min(xs), abs=0.01), pytest.approx(min(ys), abs=0.01))
            assert x + w == pytest.approx(max(xs), abs=0.02) and y + h == pytest.approx(max(ys), abs=0.02)
            mask = coco.annToMask(ann)
            assert abs(mask.sum() - ann["area"]) <= 0.25 * ann["area"] + 20  # polygon area ~ mask area
    assert (tmp_path / "summary.json").is_file()


def test_split_is_stable_and_seeded(annotations) -> None:
    spec = SplitSpec(seed=3)
    first = {k: [i.json_file for i in v] for k, v in assign_splits(annotations.images, spec).items()}
    again = {k: [i.json_file for i in v] for k, v in assign_splits(list(reversed(annotations.images)), spec).items()}
    other = {k: [i.json_file for i in v] for k, v in assign_splits(annotations.images, SplitSpec(seed=4)).items()}
    assert first == again  # input order does not matter
    assert first != other  # the seed does
    assert sorted(sum(first.values(), [])) == sorted(i.json_file for i in annotations.images)


def test_adding_images_never_moves_an_image_between_splits(annotations) -> None:
    """Each image's split depends on its content alone, so a production model re-scored on a
    newer dataset version's test split never meets images it trained on."""
    spec = SplitSpec(seed=3)
    split_of = lambda images: {i.json_file: s for s, items in assign_splits(images, spec).items() for i in items}
    before, after = split_of(annotations.images[:8]), split_of(annotations.images)
    assert before == {name: after[name] for name in before}
    assert split_of(annotations.images[4:]) == {name: after[name] for name in split_of(annotations.images[4:])}


def test_embedded_images_with_the_same_image_path_are_both_kept(synth_folder: Path, tmp_path: Path) -> None:
    import base64
    import shutil

    folder = tmp_path / "labelme"
    folder.mkdir()
    for stem in ("img_000001", "img_000002"):  # two different photos, both embedded as "photo.jpg"
        doc = json.loads((synth_folder / f"{stem}.json").read_text())
        doc.update(imagePath="photo.jpg", imageData=base64.b64encode((synth_folder / f"{stem}.jpg").read_bytes()).decode())
        (folder / f"{stem}.json").write_text(json.dumps(doc))
    annotations, report = read_labelme_folder(str(folder), progress=False)
    assert report.problems == [] and len(annotations.images) == 2
    merge_to_coco(annotations, str(tmp_path / "coco"), SplitSpec(train=1.0, val=0.0, test=0.0), progress=False)
    files = sorted(p.name for p in (tmp_path / "coco" / "images").iterdir())
    assert files == ["photo-2.jpg", "photo.jpg"]
    shutil.rmtree(folder)


def test_same_input_same_content_hash(annotations, tmp_path: Path) -> None:
    a = merge_to_coco(annotations, str(tmp_path / "a"), SplitSpec(), progress=False)
    b = merge_to_coco(annotations, str(tmp_path / "b"), SplitSpec(), progress=False)
    c = merge_to_coco(annotations, str(tmp_path / "c"), SplitSpec(seed=9), progress=False)
    assert a.content_hash == b.content_hash != c.content_hash
    assert json.loads((tmp_path / "a/annotations/test.json").read_text()) == json.loads(
        (tmp_path / "b/annotations/test.json").read_text()
    )


def test_split_fractions_must_sum_to_one() -> None:
    with pytest.raises(ValueError, match="sum to 1"):
        SplitSpec(train=0.5, val=0.2, test=0.2)


def test_polygon_area() -> None:
    assert polygon_area([(0, 0), (4, 0), (4, 3), (0, 3)]) == 12.0
    assert polygon_area([(0, 0), (4, 0), (0, 3)]) == 6.0
