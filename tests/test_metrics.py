"""Metrics against hand-computed values on tiny fixtures."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from pycocotools import mask as mask_utils

from alpr.classes import CLASS_NAMES
from alpr.coco import SplitSpec, merge_to_coco
from alpr.labelme import read_labelme_folder
from alpr.metrics import coco_from_dict, coco_map, dv_iou, dv_map, plate_metrics
from alpr.postprocess import PlateReading


def square(shift: int = 0, size: int = 10, h: int = 32, w: int = 32) -> np.ndarray:
    m = np.zeros((h, w), np.uint8)
    m[5 : 5 + size, 5 + shift : 5 + size + shift] = 1
    return m


def rle(mask: np.ndarray) -> dict:
    r = mask_utils.encode(np.asfortranarray(mask))
    r["counts"] = r["counts"].decode()
    return r


def test_dv_iou_perfect_and_shifted_by_hand() -> None:
    assert dv_iou(square(), square()) == 1.0
    # 10x10 square: 36 boundary pixels, parts of 12. Shift by 2 px in x:
    #   y-parts keep their rows: each box IoU = 8*2 / (20 + 20 - 16) = 2/3
    #   x-parts: [0,2)x10 vs [2,4)x10 -> 0; [2,8) vs [4,10) -> 40/80; [8,10) vs [10,12) -> 0
    assert dv_iou(square(shift=2), square()) == pytest.approx((3 * 2 / 3 + 0 + 0.5 + 0) / 6)
    # shift by 1: y-parts 9/11 each; x-parts 1/3, 5/7, 1/3
    assert dv_iou(square(shift=1), square()) == pytest.approx((3 * 9 / 11 + 1 / 3 + 5 / 7 + 1 / 3) / 6)
    assert dv_iou(np.zeros((8, 8), np.uint8), square()) == 0.0


def _gt_doc() -> dict:
    return {
        "images": [{"id": 1, "width": 32, "height": 32, "file_name": "a.jpg", "plates": []}],
        "categories": [{"id": 1, "name": "0"}],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "segmentation": rle(square()), "area": 100.0,
             "bbox": [5, 5, 10, 10], "iscrowd": 0}
        ],
    }


def _pred(mask: np.ndarray, score: float) -> dict:
    r = rle(mask)
    return {"image_id": 1, "category_id": 1, "segmentation": r, "bbox": list(mask_utils.toBbox(r)), "score": score}


def test_dv_map_perfect_shifted_and_false_positive() -> None:
    gt = coco_from_dict(_gt_doc())
    assert dv_map(gt, [_pred(square(), 0.9)]) == pytest.approx(1.0)
    # dv-IoU 0.639 passes thresholds 0.50, 0.55, 0.60 of ten
    assert dv_map(gt, [_pred(square(shift=1), 0.9)]) == pytest.approx(0.3)
    # a higher-scoring false positive first: precision 1/2 at full recall, at every threshold
    fp = np.zeros((32, 32), np.uint8)
    fp[20:30, 20:30] = 1
    assert dv_map(gt, [_pred(fp, 0.95), _pred(square(), 0.9)]) == pytest.approx(0.5)
    assert dv_map(gt, []) == 0.0


def test_coco_map_perfect_on_generated_data(synth_folder: Path, tmp_path: Path) -> None:
    annotations, _ = read_labelme_folder(str(synth_folder), progress=False)
    merge_to_coco(annotations, str(tmp_path), SplitSpec(), progress=False)
    doc = json.loads((tmp_path / "annotations" / "train.json").read_text())
    gt = coco_from_dict(doc)
    results = []
    for ann in doc["annotations"]:
        img = gt.loadImgs(ann["image_id"])[0]
        r = mask_utils.frPyObjects(ann["segmentation"], img["height"], img["width"])
        m = mask_utils.decode(mask_utils.merge(r))
        results.append({"image_id": ann["image_id"], "category_id": ann["category_id"], "bbox": ann["bbox"],
                        "segmentation": rle(m), "score": 1.0})
    assert coco_map(gt, results, "bbox")["mAP"] == pytest.approx(1.0)
    assert coco_map(gt, results, "segm")["mAP50"] == pytest.approx(1.0)
    assert dv_map(gt, results[:60]) > 0.2  # subset: recall < 1 but matched pairs are exact
    assert coco_map(gt, [], "bbox") == {"mAP": 0.0, "mAP50": 0.0, "mAP75": 0.0}


def _plates_gt() -> dict:
    def board(ann_id, group, box, cat):
        x1, y1, x2, y2 = box
        return {"id": ann_id, "image_id": 1, "category_id": cat, "group_id": group, "iscrowd": 0,
                "bbox": [x1, y1, x2 - x1, y2 - y1], "area": (x2 - x1) * (y2 - y1),
                "segmentation": [[x1, y1, x2, y1, x2, y2, x1, y2]]}
    return {
        "images": [{"id": 1, "width": 640, "height": 480, "file_name": "a.jpg", "plates": [
            {"group_id": 0, "shape": "long", "text": "01A2345"},
            {"group_id": 1, "shape": "regular", "text": "77E0918"},
        ]}],
        "categories": [{"id": i, "name": str(i)} for i in range(1, 22)],
        "annotations": [board(1, 0, (10, 10, 190, 50), 19), board(2, 1, (300, 200, 420, 280), 16)],
    }


def test_plate_metrics_by_hand() -> None:
    gt = coco_from_dict(_plates_gt())
    right = PlateReading("long", (11, 10, 190, 51), 0.9, "01", "A", "2345")
    wrong = PlateReading("regular", (300, 201, 421, 280), 0.8, "77", "E", "0988")  # 6 of 7 chars
    stray = PlateReading("long", (500, 400, 600, 440), 0.7, "11", "B", "1111")  # no true plate
    m = plate_metrics(gt, {1: [right, wrong, stray]})
    assert (m.eir, m.true_plates, m.predicted_plates, m.exact) == (0.5, 2, 3, 1)
    assert m.plate_precision == pytest.approx(1 / 3)
    assert m.char_accuracy == pytest.approx((7 + 6) / 14)
    perfect = plate_metrics(gt, {1: [right, PlateReading("regular", (300, 200, 420, 280), 0.8, "77", "E", "0918")]})
    assert perfect.eir == perfect.plate_precision == perfect.char_accuracy == 1.0
    assert plate_metrics(gt, {}).eir == 0.0


def test_metrics_per_photo_size_and_plate_width_by_hand() -> None:
    from alpr.metrics.plate_rate import bucketed_metrics, photo_size_bucket, plate_outcomes, plate_width_bucket

    doc = _plates_gt()
    big = {**doc["images"][0], "id": 2, "width": 1080, "height": 1920, "file_name": "b.jpg"}  # portrait 1080p
    doc["images"].append(big)
    doc["annotations"].append({**doc["annotations"][0], "id": 3, "image_id": 2})  # its one plate: long, 180 px
    big["plates"] = big["plates"][:1]
    gt = coco_from_dict(doc)
    readings = {1: [PlateReading("long", (11, 10, 190, 51), 0.9, "01", "A", "2345")],  # right; the 120 px plate missed
                2: [PlateReading("long", (10, 10, 190, 50), 0.9, "01", "A", "2346"),  # wrong
                    PlateReading("long", (500, 400, 560, 440), 0.5, "11", "B", "1111")]}  # of no plate, 60 px
    buckets = bucketed_metrics(gt, plate_outcomes(gt, readings))
    assert list(buckets["photo_size"]) == ["640x480", "1920x1080"]
    assert buckets["photo_size"]["640x480"] == {"eir": 0.5, "plate_precision": 1.0, "true_plates": 2,
                                                "predicted_plates": 1, "exact": 1}
    assert buckets["photo_size"]["1920x1080"] == {"eir": 0.0, "plate_precision": 0.0, "true_plates": 1,
                                                  "predicted_plates": 2, "exact": 0}
    widths = buckets["plate_width"]
    assert list(widths) == ["0-80px", "120-200px"]  # 180 px plates (x2) and the 120 px one, the 60 px stray
    assert widths["120-200px"]["true_plates"] == 3 and widths["120-200px"]["exact"] == 1
    assert widths["0-80px"] == {"eir": 0.0, "plate_precision": 0.0, "true_plates": 0, "predicted_plates": 1, "exact": 0}
    assert photo_size_bucket(1280, 720) == photo_size_bucket(960, 1280) == "1280x960"
    assert (plate_width_bucket(79.9), plate_width_bucket(80), plate_width_bucket(450)) == ("0-80px", "80-120px", ">=400px")


def test_plates_without_group_ids_are_grouped_by_geometry(labelme_copy: Path, tmp_path: Path) -> None:
    """labelme leaves group_id null unless the annotator sets it: every plate is still its own,
    and perfect readings of every plate score 1.0."""
    for path in labelme_copy.glob("*.json"):
        doc = json.loads(path.read_text())
        for shape in doc["shapes"]:
            shape["group_id"] = None
        path.write_text(json.dumps(doc))
    annotations, _ = read_labelme_folder(str(labelme_copy), progress=False)
    merge_to_coco(annotations, str(tmp_path), SplitSpec(train=1.0, val=0.0, test=0.0), progress=False)
    gt = coco_from_dict(json.loads((tmp_path / "annotations" / "train.json").read_text()))
    from alpr.metrics.plate_rate import true_plates

    readings, plates = {}, 0
    for image_id in gt.getImgIds():
        truths = true_plates(gt, image_id)
        assert len({t["bbox"] for t in truths}) == len(truths)  # each plate its own board
        plates += len(truths)
        readings[image_id] = [PlateReading(t["shape"], t["bbox"], 1.0, t["text"][:2], t["text"][2], t["text"][3:])
                              for t in truths]
        anns = gt.loadAnns(gt.getAnnIds(imgIds=image_id))
        assert all(a["group_id"] is not None for a in anns)  # glyphs joined the board holding them
    m = plate_metrics(gt, readings)
    assert plates > 20 and m.eir == 1.0 and m.plate_precision == 1.0


def test_coco_map_of_a_hand_worked_case_matches_pycocotools() -> None:
    """One class, two true boxes; a false positive scores above a perfect match, the second box
    is missed. Precision-recall: (0, 0) then (1/2, 1/2); COCO interpolates precision at 101
    recall points: 1/2 at the 51 points 0.00..0.50, 0 above, so AP = 51 * 0.5 / 101 at every
    IoU threshold (the match is exact)."""
    def box(ann_id, x, y, image_id=1):
        return {"id": ann_id, "image_id": image_id, "category_id": 1, "bbox": [x, y, 10, 10], "area": 100.0,
                "iscrowd": 0, "segmentation": [[x, y, x + 10, y, x + 10, y + 10, x, y + 10]]}
    gt = coco_from_dict({"images": [{"id": 1, "width": 64, "height": 64}], "categories": [{"id": 1, "name": "0"}],
                         "annotations": [box(1, 5, 5), box(2, 40, 40)]})
    results = [{"image_id": 1, "category_id": 1, "bbox": [20, 5, 10, 10], "score": 0.9},  # false positive
               {"image_id": 1, "category_id": 1, "bbox": [5, 5, 10, 10], "score": 0.8}]  # exact
    expected = 51 * 0.5 / 101
    assert coco_map(gt, results, "bbox") == pytest.approx({"mAP": expected, "mAP50": expected, "mAP75": expected})


def test_per_class_ap_and_glyph_confusion_by_hand() -> None:
    from alpr.metrics.per_class import confusion_table, glyph_confusion, per_class_ap

    def ann(ann_id, cat, x):
        return {"id": ann_id, "image_id": 1, "category_id": cat, "bbox": [x, 10, 10, 20], "area": 200.0,
                "iscrowd": 0, "segmentation": [[x, 10, x + 10, 10, x + 10, 30, x, 30]]}
    one, two, b = CLASS_NAMES.index("1") + 1, CLASS_NAMES.index("2") + 1, CLASS_NAMES.index("b") + 1
    gt = coco_from_dict({"images": [{"id": 1, "width": 200, "height": 50}],
                         "categories": [{"id": i + 1, "name": n} for i, n in enumerate(CLASS_NAMES)],
                         "annotations": [ann(1, one, 10), ann(2, one, 40), ann(3, two, 70), ann(4, b, 100)]})
    det = lambda cat, x, score: {"image_id": 1, "category_id": cat, "bbox": [x, 10, 10, 20], "score": score}  # noqa: E731
    results = [det(one, 10, 0.9),  # a "1" seen as 1
               det(two, 40, 0.8), det(one, 40, 0.5),  # a "1" seen as 2 more than as 1
               det(two, 70, 0.2),  # the "2": too weak to count, so missed
               det(b, 100, 0.9)]  # the "B" right
    assert glyph_confusion(gt, results) == {"1": {"1": 1, "2": 1}, "2": {"missed": 1}, "b": {"b": 1}}
    assert confusion_table(glyph_confusion(gt, results)) == [
        ["true \\ detected", "1", "2", "B", "missed"], ["1", "1", "1", "0", "0"], ["2", "0", "0", "0", "1"],
        ["B", "0", "0", "1", "0"]]
    ap = per_class_ap(gt, results)
    # class 1: detections 0.9 (hit), 0.5 (hit): AP 1; class 2: 0.8 (false, at the "1"), 0.2 (hit): precision 1/2
    # at full recall, 101-point interpolation gives 0.5; class b: 1
    assert ap == {"1": 1.0, "2": 0.5, "b": 1.0}


def test_gallery_marks_exact_wrong_and_missed_plates_worst_first(tiny_dataset: Path) -> None:
    from alpr.metrics.plate_rate import true_plates
    from alpr.model.evaluate import EvaluationReport
    from alpr.visualize import evaluation_gallery

    doc = json.loads((tiny_dataset / "annotations" / "test.json").read_text())
    gt = coco_from_dict(doc)
    first, *others = [i["id"] for i in doc["images"]]
    readings = {}
    for image_id in others:  # every plate read exactly, except in the first photo
        readings[image_id] = [{"shape": t["shape"], "bbox": list(t["bbox"]), "score": 0.9, "region": t["text"][:2],
                               "vehicle_type": t["text"][2], "serial": t["text"][3:], "glyphs": []}
                              for t in true_plates(gt, image_id)]
    truths = true_plates(gt, first)
    wrong = truths[0]
    readings[first] = [{"shape": wrong["shape"], "bbox": list(wrong["bbox"]), "score": 0.9, "region": "99",
                        "vehicle_type": "E", "serial": "9999", "glyphs": [["9", *wrong["bbox"]]]}]
    zero = dict.fromkeys(("bbox_mAP", "bbox_mAP50", "segm_mAP", "segm_mAP50", "dv_mAP", "eir", "plate_precision",
                          "char_accuracy", "latency_p50_ms", "latency_p95_ms"), 0.0)
    report = EvaluationReport(split="test", images=len(doc["images"]), true_plates=0, predicted_plates=0,
                              exact_plates=0, readings=readings, **zero)
    page = evaluation_gallery(str(tiny_dataset), "test", report)
    first_name = next(i["file_name"] for i in doc["images"] if i["id"] == first).rsplit("/", 1)[-1]
    assert page.index(first_name) < min(page.index(i["file_name"].rsplit("/", 1)[-1]) for i in doc["images"]
                                        if i["id"] != first)  # the photo with mistakes comes first
    assert f'read 99E9999 ({wrong["shape"]}), truth {wrong["text"]}' in page
    assert all(f'<li class="bad">missed: truth {t["text"]}' in page for t in truths[1:])
    assert page.count('<li class="ok">') == sum(len(r) for i, r in readings.items() if i != first)
