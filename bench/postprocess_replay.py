"""Benchmark: replay post-processing on one model's cached detections, and say why plates fail.

    .venv/bin/python -m bench.postprocess_replay CHECKPOINT COCO_DIR [--split test]
        [--cache detections.json] [--set glyph_group_iou=0.5 --set board_margin=0.2 ...]
        [--no-second-look] [--show N]

Detection is the slow part (about 0.1-0.3 s an image here); post-processing takes
milliseconds. The first run stores the detections (labels, scores, boxes, board outlines) in
``--cache``; later runs with other ``ReadOptions`` read the cache, so each post-processing
change is measured on exactly the same detections. Prints EIR, plate precision, character
accuracy and, for every true plate not read exactly, the category of its failure.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
from collections import Counter
from pathlib import Path

from alpr.boxes import box_overlaps
from alpr.metrics import coco_from_dict, plate_metrics
from alpr.metrics.plate_rate import miss_cause, true_plates
from alpr.postprocess import Detection, PlateReading, ReadOptions, read_plates


def detect_all(checkpoint: str, coco_dir: Path, split: str, second_look: bool = True) -> dict[int, list[Detection]]:
    """Every image's detections as post-processing sees them (boards with their outline)."""
    import cv2

    from alpr.model.detector import Detector

    detector = Detector(checkpoint, second_look=second_look)
    doc = json.loads((coco_dir / "annotations" / f"{split}.json").read_text())
    out = {}
    for image in doc["images"]:
        pixels = cv2.imread(str(coco_dir / image["file_name"]))
        if pixels is None:
            raise FileNotFoundError(f"{coco_dir / image['file_name']}: missing or unreadable image")
        out[image["id"]] = [o.to_detection(with_outline=o.label.endswith("_board")) for o in detector.detect(pixels)]
    return out


def save_cache(path: Path, detections: dict[int, list[Detection]]) -> None:
    path.write_text(json.dumps({str(k): [dataclasses.asdict(d) for d in v] for k, v in detections.items()}))


def load_cache(path: Path) -> dict[int, list[Detection]]:
    def detection(d: dict) -> Detection:
        polygon = tuple(tuple(p) for p in d["polygon"]) if d["polygon"] else None
        return Detection(d["label"], d["score"], tuple(d["bbox"]), polygon,
                         d.get("text", ""), d.get("text_score", 0.0))

    return {int(k): [detection(d) for d in v] for k, v in json.loads(path.read_text()).items()}


def parse_options(pairs: list[str]) -> ReadOptions:
    """``name=value`` overrides of ReadOptions, typed as the field's default."""
    defaults = ReadOptions()
    changes = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        if not hasattr(defaults, name) or not value:
            raise SystemExit(f"--set {pair!r}: expected NAME=VALUE with NAME a ReadOptions field")
        kind = type(getattr(defaults, name))
        changes[name] = value.lower() in ("1", "true", "yes") if kind is bool else kind(value)
    return dataclasses.replace(defaults, **changes)


def failure(truth: dict, readings: list[PlateReading]) -> str:
    """Why a true plate was not read exactly, in detail: from its best-overlapping reading,
    valid or not (``miss_cause`` gives the coarse category)."""
    cause, reading = miss_cause(truth, readings)
    if reading is None:
        return "nothing read there"
    if cause == "wrong shape":
        return cause
    if not reading.valid:
        return "invalid: " + re.sub(r"'[^']*' ", "", reading.reason)
    wrong = sum(a != b for a, b in zip(reading.text, truth["text"]))
    return f"{wrong} wrong character(s)"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoint")
    p.add_argument("coco_dir", type=Path)
    p.add_argument("--split", default="test")
    p.add_argument("--cache", type=Path, help="detections file: read if it exists, else written")
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="a ReadOptions override")
    p.add_argument("--no-second-look", action="store_true", help="ignore the checkpoint's glyph classifier")
    p.add_argument("--show", type=int, default=0, help="print this many failed plates with their readings")
    args = p.parse_args()

    options = parse_options(args.set)
    if args.cache and args.cache.exists():
        detections = load_cache(args.cache)
    else:
        detections = detect_all(args.checkpoint, args.coco_dir, args.split, not args.no_second_look)
        if args.cache:
            save_cache(args.cache, detections)

    gt = coco_from_dict(json.loads((args.coco_dir / "annotations" / f"{args.split}.json").read_text()))
    readings = {i: read_plates(d, options) for i, d in detections.items()}
    metrics = plate_metrics(gt, readings)
    everything = {i: read_plates(d, dataclasses.replace(options, include_invalid=True)) for i, d in detections.items()}
    failures: Counter[str] = Counter()
    shown = 0
    for image_id in gt.getImgIds():
        exact = {(r.shape, r.text, r.bbox) for r in readings.get(image_id, [])}
        for truth in true_plates(gt, image_id):
            hit = any(s == truth["shape"] and t == truth["text"] and box_overlaps(b, truth["bbox"]) >= 0.5
                      for s, t, b in exact)
            if hit:
                continue
            why = failure(truth, everything.get(image_id, []))
            failures[why] += 1
            if shown < args.show:
                shown += 1
                near = [r.text or "-" for r in everything.get(image_id, []) if box_overlaps(r.bbox, truth["bbox"]) >= 0.5]
                width = truth["bbox"][2] - truth["bbox"][0]
                print(f"image {image_id}: {truth['shape']} {truth['text']} ({width:.0f} px wide) -> {why};"
                      f" readings there: {near}")
    print(json.dumps({"options": {k: v for k, v in dataclasses.asdict(options).items()
                                  if v != getattr(ReadOptions(), k)},
                      **metrics.as_dict(), "failures": dict(failures.most_common())}, indent=1))


if __name__ == "__main__":
    main()
