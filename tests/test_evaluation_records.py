"""The evaluation's building blocks by hand: COCO result records from detections, and the
mmengine metric that scores plate readings during validation."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from pycocotools import mask as mask_utils

from alpr.classes import CLASS_NAMES, category_id
from alpr.model.detector import DetectedObject
from alpr.model.evaluate import detections_to_results
from alpr.model.mm_metrics import PlateReadingMetric

WIDTH, HEIGHT = 320, 240


def _box_mask(box: tuple[float, float, float, float]) -> np.ndarray:
    mask = np.zeros((HEIGHT, WIDTH), bool)
    x1, y1, x2, y2 = (int(v) for v in box)
    mask[y1:y2, x1:x2] = True
    return mask


def test_detections_to_results_are_whole_image_records() -> None:
    box = (40.0, 30.0, 100.0, 70.0)
    mask = _box_mask(box)
    mask[30:35, 40:45] = False  # a notch: the mask is not its box
    obj = DetectedObject.from_image_mask("r_board", 0.8, box, mask)
    assert obj.mask.shape == (43, 63)  # kept as the box region only (a pixel more around it)
    (record,) = detections_to_results(7, [obj], list(CLASS_NAMES), (WIDTH, HEIGHT))
    assert record["image_id"] == 7 and record["category_id"] == category_id("r_board") and record["score"] == 0.8
    assert record["bbox"] == [40.0, 30.0, 60.0, 40.0]  # x, y, width, height
    decoded = mask_utils.decode({**record["segmentation"], "counts": record["segmentation"]["counts"].encode()})
    assert decoded.shape == (HEIGHT, WIDTH) and (decoded.astype(bool) == mask).all()
    json.dumps(record)  # what pycocotools' loadRes and the artifact store take


def _plate(x0: float, y0: float, score: float, text: str) -> list[tuple[str, float, tuple]]:
    """A long plate (board and seven glyphs) at offset (``x0``, ``y0``), all at ``score``."""
    objects = [("l_board", score, (x0 + 10, y0 + 10, x0 + 190, y0 + 50))]
    for i, ch in enumerate(text.lower()):
        x = x0 + 20 + i * 20 + (10 if i >= 3 else 0)
        objects.append((ch, score, (x, y0 + 18, x + 16, y0 + 42)))
    return objects


def _sample(objects: list[tuple[str, float, tuple]]) -> dict:
    return {"img_id": 1, "ori_shape": (HEIGHT, WIDTH), "pred_instances": {
        "bboxes": torch.tensor([o[2] for o in objects], dtype=torch.float32),
        "scores": torch.tensor([o[1] for o in objects]),
        "labels": torch.tensor([CLASS_NAMES.index(o[0]) for o in objects]),
        "masks": torch.from_numpy(np.stack([_box_mask(o[2]) for o in objects])),
    }}


@pytest.fixture()
def ann_file(tmp_path: Path) -> str:
    x1, y1, x2, y2 = 10, 10, 190, 50
    doc = {"images": [{"id": 1, "width": WIDTH, "height": HEIGHT, "file_name": "a.jpg",
                       "plates": [{"group_id": 1, "shape": "long", "text": "42C0815"}]}],
           "categories": [{"id": i + 1, "name": n} for i, n in enumerate(CLASS_NAMES)],
           "annotations": [{"id": 1, "image_id": 1, "category_id": category_id("l_board"), "group_id": 1,
                            "iscrowd": 0, "bbox": [x1, y1, x2 - x1, y2 - y1], "area": (x2 - x1) * (y2 - y1),
                            "segmentation": [[x1, y1, x2, y1, x2, y2, x1, y2]]}]}
    path = tmp_path / "test.json"
    path.write_text(json.dumps(doc))
    return str(path)


@pytest.mark.parametrize(("threshold", "precision"), [(0.0, 0.5), (0.5, 1.0)])
def test_plate_reading_metric_scores_what_passes_its_threshold(ann_file: str, threshold: float,
                                                               precision: float) -> None:
    """The true plate read exactly at 0.9, a plate of nothing at 0.3: kept at the model's own
    threshold (precision 1/2), dropped above 0.3 (precision 1)."""
    metric = PlateReadingMetric(ann_file=ann_file, score_threshold=threshold)
    metric.process({}, [_sample(_plate(0, 0, 0.9, "42C0815") + _plate(100, 150, 0.3, "11B1111"))])
    result = metric.compute_metrics(metric.results)
    assert result["eir"] == 1.0 and result["plate_precision"] == pytest.approx(precision)
