"""Score a detector on a held-out split: COCO mAP, dv-mAP and plate reading rates."""

from __future__ import annotations

import json
import time
from pathlib import Path

import cv2
import numpy as np
from pycocotools import mask as mask_utils
from pydantic import BaseModel
from tqdm import tqdm

from alpr.metrics import coco_from_dict, coco_map, dv_map
from alpr.metrics.per_class import glyph_confusion, per_class_ap
from alpr.metrics.plate_rate import bucketed_metrics, metrics_of, plate_outcomes
from alpr.model.detector import DetectedObject, Detector, read_detected_plates
from alpr.postprocess import PlateReading, ReadOptions


class EvaluationReport(BaseModel):
    split: str
    images: int
    bbox_mAP: float
    bbox_mAP50: float
    segm_mAP: float
    segm_mAP50: float
    dv_mAP: float
    eir: float
    plate_precision: float
    char_accuracy: float
    true_plates: int
    predicted_plates: int
    exact_plates: int
    latency_p50_ms: float
    latency_p95_ms: float
    #: EIR, plate precision and counts per photo size ("1920x1080": long side nearest 1920) and
    #: per plate width ("80-120px": true board width in photo pixels)
    by_photo_size: dict[str, dict[str, float]] = {}
    by_plate_width: dict[str, dict[str, float]] = {}
    #: bbox AP per class, and per true glyph class the class it was detected as (or "missed")
    per_class_ap: dict[str, float] = {}
    glyph_confusion: dict[str, dict[str, int]] = {}
    #: per image id, the plates read (``PlateReading.as_dict`` plus the glyph boxes read)
    readings: dict[int, list[dict]] = {}

    def plate_readings(self) -> dict[int, list[PlateReading]]:
        """The readings as ``PlateReading`` objects again (to match them with the truth)."""
        return {image_id: [PlateReading(r["shape"], tuple(r["bbox"]), r["score"], r["region"], r["vehicle_type"],
                                        r["serial"]) for r in plates] for image_id, plates in self.readings.items()}


def detections_to_results(
    image_id: int, objects: list[DetectedObject], classes: list[str], image_size: tuple[int, int]
) -> list[dict]:
    """COCO result records (RLE masks of the whole (width, height) image) for pycocotools and dv-mAP."""
    out = []
    for obj in objects:
        rle = mask_utils.encode(np.asfortranarray(obj.image_mask(*image_size).astype(np.uint8)))
        rle["counts"] = rle["counts"].decode()
        x1, y1, x2, y2 = obj.bbox
        out.append({"image_id": image_id, "category_id": classes.index(obj.label) + 1,
                    "bbox": [x1, y1, x2 - x1, y2 - y1], "score": obj.score, "segmentation": rle})
    return out


def score_image(
    image_id: int, objects: list[DetectedObject], classes: list[str], image_size: tuple[int, int],
    options: ReadOptions = ReadOptions(),
) -> tuple[list[dict], list[PlateReading]]:
    """One (width, height) image's COCO result records and plate readings (what the metrics need)."""
    return detections_to_results(image_id, objects, classes, image_size), read_detected_plates(objects, options)


def summarize(gt, results: list[dict], readings: dict[int, list[PlateReading]]) -> dict[str, float | int | dict]:
    """All metrics of a split from its result records and readings."""
    bbox = coco_map(gt, results, "bbox")
    segm = coco_map(gt, results, "segm")
    outcomes = plate_outcomes(gt, readings)
    plates = metrics_of(outcomes)
    buckets = bucketed_metrics(gt, outcomes)
    return {
        "bbox_mAP": bbox["mAP"],
        "bbox_mAP50": bbox["mAP50"],
        "segm_mAP": segm["mAP"],
        "segm_mAP50": segm["mAP50"],
        "dv_mAP": dv_map(gt, results),
        "eir": plates.eir,
        "plate_precision": plates.plate_precision,
        "char_accuracy": plates.char_accuracy,
        "true_plates": plates.true_plates,
        "predicted_plates": plates.predicted_plates,
        "exact_plates": plates.exact,
        "by_photo_size": buckets["photo_size"],
        "by_plate_width": buckets["plate_width"],
        "per_class_ap": per_class_ap(gt, results),
        "glyph_confusion": glyph_confusion(gt, results),
        "readings": {image_id: [_reading_record(r) for r in plates] for image_id, plates in readings.items()},
    }


def _reading_record(reading: PlateReading) -> dict:
    glyphs = [[g.label, *(round(v, 1) for v in g.bbox)] for g in reading.glyphs]
    return {**reading.as_dict(), "glyphs": glyphs}


def evaluate_detector(
    detector: Detector, dataset_dir: Path, split: str = "test", options: ReadOptions = ReadOptions(),
    progress: bool = True,
) -> EvaluationReport:
    doc = json.loads((dataset_dir / "annotations" / f"{split}.json").read_text())
    if not doc["images"]:  # scores of nothing would read as a model that reads nothing
        raise ValueError(f"the {split} split of {dataset_dir} holds no images: the dataset is too small for its "
                         "split fractions; add images or give that split a larger fraction")
    results: list[dict] = []
    readings: dict[int, list[PlateReading]] = {}
    latencies = []
    for image in tqdm(doc["images"], desc=f"evaluate {split}", disable=not progress, mininterval=2):
        pixels = cv2.imread(str(dataset_dir / image["file_name"]))
        if pixels is None:
            raise FileNotFoundError(f"{dataset_dir / image['file_name']}: missing or unreadable image")
        started = time.perf_counter()
        objects = detector.detect(pixels)
        latencies.append((time.perf_counter() - started) * 1000)
        size = (pixels.shape[1], pixels.shape[0])
        image_results, readings[image["id"]] = score_image(image["id"], objects, detector.classes, size, options)
        results += image_results
    return EvaluationReport(
        split=split,
        images=len(doc["images"]),
        latency_p50_ms=float(np.percentile(latencies, 50)) if latencies else 0.0,
        latency_p95_ms=float(np.percentile(latencies, 95)) if latencies else 0.0,
        **summarize(coco_from_dict(doc), results, readings),
    )
