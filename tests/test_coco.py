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
    assert summary.images == {"train": 12, "val": 4, "test": 4}
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
    assert [len(first[s]) for s in SPLITS] == [14, 3, 3]


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
