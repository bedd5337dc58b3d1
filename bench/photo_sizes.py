"""Benchmark: exact-plate rate and latency per photo size, eager and served, side by side.

    .venv/bin/python -m bench.photo_sizes CHECKPOINT [--labelme DIR] [--per-size 40] [--no-served]
        [--plate-scale NAME=VALUE ...]

Photos: a labelme folder (``--labelme``, any sizes; its true readings are the boards'
``description``), or generated ones: ``--per-size`` photos at each of 640x480, 800x600,
1280x960, 1920x1080, 2560x1440 and 3840x2160 (a fifth of them portrait), with the default
pipeline's plate sizes (``configs/training.yaml``). Each photo is read in process by
``Detector`` (the eager path, as serving configures it) and, unless ``--no-served``, through a
local deployment over REST (router -> model -> transformer); both report EIR, plate precision
and p50 latency per photo-size bucket and per plate-width bucket.

Latency ratio: ``--pairs`` photos with two plates at 640x480 and at 1920x1080 (the same plate
sizes) are sent alternately to the served model; it prints both p50s and their ratio.
"""

from __future__ import annotations

import argparse
import base64
import json
import tempfile
import time
import urllib.request
from pathlib import Path

import cv2
import numpy as np

from alpr.classes import BOARD_CLASSES
from alpr.coco import SplitSpec, merge_to_coco
from alpr.labelme import read_labelme_folder
from alpr.metrics import coco_from_dict
from alpr.metrics.plate_rate import (
    PHOTO_SIZES,
    bucketed_metrics,
    metrics_of,
    photo_size_bucket,
    plate_outcomes,
)
from alpr.model.plate_scale import PlateScale
from alpr.postprocess import PlateReading
from alpr.synth import generate_dataset
from bench.train_eval import DEFAULT_SYNTH, synth_options


def generated(out: Path, per_size: int, seed: int) -> Path:
    """``per_size`` photos of every standard size, as the default pipeline draws plates."""
    base = synth_options(DEFAULT_SYNTH)
    folder = out / "photos"
    for i, size in enumerate(PHOTO_SIZES):
        options = base.model_copy(update={"image_sizes": [size], "image_size_weights": None, "portrait_fraction": 0.2})
        generate_dataset(str(folder / f"{size[0]}x{size[1]}"), n=per_size, seed=seed + i, options=options,
                         progress=False, overwrite=True)
    return folder


def test_set(source: Path, coco: Path):
    """A labelme folder as one COCO test split under ``coco``: (folder, document, COCO ground
    truth, number of bad files skipped)."""
    annotations, validation = read_labelme_folder(str(source), progress=False)
    merge_to_coco(annotations, str(coco), SplitSpec(train=0.0, val=0.0, test=1.0), progress=False)
    doc = json.loads((coco / "annotations" / "test.json").read_text())
    return coco, doc, coco_from_dict(doc), validation.bad


def pairs(out: Path, n: int, seed: int) -> dict[str, list[bytes]]:
    """``n`` JPEGs with two plates at 640x480 and at 1920x1080, plates of the same sizes."""
    base = synth_options(DEFAULT_SYNTH)
    photos = {}
    for size in ((640, 480), (1920, 1080)):
        options = base.model_copy(update={"image_sizes": [size], "image_size_weights": None, "portrait_fraction": 0.0,
                                          "closeup_fraction": 0.0, "plates_per_image": (2, 2),
                                          "regular_width": (100, 160)})
        folder = out / f"pairs-{size[0]}x{size[1]}"
        generate_dataset(str(folder), n=n, seed=seed, options=options, progress=False, overwrite=True)
        photos[f"{size[0]}x{size[1]}"] = [p.read_bytes() for p in sorted(folder.glob("*.jpg"))]
    return photos


def plate_scale_overrides(pairs: list[str]) -> dict:
    """``NAME=VALUE`` pairs as ``PlateScale`` fields (VALUE in JSON: ``0.4``, ``[1.25, 0.8]``,
    ``null``), checked against the model so a typo fails before any photo is read."""
    changes = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        if name not in PlateScale.model_fields or not value:
            raise SystemExit(f"--plate-scale {pair!r}: expected NAME=VALUE, NAME one of "
                             f"{sorted(PlateScale.model_fields)}")
        try:
            changes[name] = json.loads(value)
        except json.JSONDecodeError as e:
            raise SystemExit(f"--plate-scale {pair!r}: VALUE is not JSON ({e})") from None
    try:
        PlateScale.model_validate(changes)
    except ValueError as e:
        raise SystemExit(f"--plate-scale: {e}") from None
    return changes


def add_plate_scale_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--plate-scale", action="append", default=[], metavar="NAME=VALUE",
                        help="a test-time PlateScale field of the eager path, VALUE in JSON "
                             "(e.g. retry_scales=[], find_min_scale=0.4); repeatable")


def eager_readings(checkpoint: str, coco: Path, doc: dict, plate_scale: dict | None = None
                   ) -> tuple[dict[int, list[PlateReading]], dict[int, float]]:
    from alpr.model.detector import Detector, read_detected_plates

    detector = Detector(checkpoint, mask_classes=list(BOARD_CLASSES))  # as serving runs it
    detector.configure_test(plate_scale=plate_scale)
    readings, times = {}, {}
    for image in doc["images"]:
        pixels = cv2.imread(str(coco / image["file_name"]))
        started = time.perf_counter()
        readings[image["id"]] = read_detected_plates(detector.detect(pixels))
        times[image["id"]] = (time.perf_counter() - started) * 1000
    return readings, times


def served_readings(url: str, coco: Path, doc: dict) -> tuple[dict[int, list[PlateReading]], dict[int, float]]:
    readings, times = {}, {}
    for image in doc["images"]:
        plates, ms = _post(url, (coco / image["file_name"]).read_bytes())
        readings[image["id"]] = [PlateReading(p["shape"], tuple(p["bbox"]), p["score"], p["region"], p["vehicle_type"],
                                              p["serial"]) for p in plates]
        times[image["id"]] = ms
    return readings, times


def _post(url: str, jpeg: bytes) -> tuple[list[dict], float]:
    body = json.dumps({"binData": base64.b64encode(jpeg).decode()}).encode()
    started = time.perf_counter()
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=300) as resp:
        doc = json.loads(resp.read())
    return doc["jsonData"]["plates"], (time.perf_counter() - started) * 1000


def report(gt, doc: dict, readings: dict[int, list[PlateReading]], times: dict[int, float]) -> dict:
    outcomes = plate_outcomes(gt, readings)
    buckets = bucketed_metrics(gt, outcomes)
    by_size: dict[str, list[float]] = {}
    for image in doc["images"]:
        by_size.setdefault(photo_size_bucket(image["width"], image["height"]), []).append(times[image["id"]])
    for bucket, row in buckets["photo_size"].items():
        row["latency_p50_ms"] = round(float(np.percentile(by_size[bucket], 50)), 1)
    overall = metrics_of(outcomes)
    return {"eir": round(overall.eir, 4), "plate_precision": round(overall.plate_precision, 4),
            "true_plates": overall.true_plates, **buckets}



def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoint")
    p.add_argument("--labelme", type=Path, help="a labelme folder to read instead of generated photos")
    p.add_argument("--per-size", type=int, default=40, help="generated photos per standard size")
    p.add_argument("--pairs", type=int, default=20, help="two-plate photos per size for the latency ratio")
    p.add_argument("--seed", type=int, default=303)
    p.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "alpr-photo-sizes")
    p.add_argument("--no-served", action="store_true", help="skip the local deployment (eager path only)")
    add_plate_scale_option(p)
    args = p.parse_args()
    checkpoint = str(Path(args.checkpoint).resolve())
    plate_scale = plate_scale_overrides(args.plate_scale)

    coco, doc, gt, bad = test_set(args.labelme or generated(args.out, args.per_size, args.seed), args.out / "coco")
    out: dict = {"photos": len(doc["images"]), "bad_files": bad, "plate_scale": plate_scale,
                 "eager": report(gt, doc, *eager_readings(checkpoint, coco, doc, plate_scale))}
    if not args.no_served:
        from alpr.deployment.local import LocalDeployer, free_ports

        deployer = LocalDeployer()
        record = deployer.deploy("bench-photo-sizes", checkpoint, port=free_ports(1)[0])
        try:
            out["served"] = report(gt, doc, *served_readings(record.predict_url, coco, doc))
            photos = pairs(args.out, args.pairs, args.seed + 100)
            for jpeg in photos["640x480"][:3]:  # warm up
                _post(record.predict_url, jpeg)
            times: dict[str, list[float]] = {size: [] for size in photos}
            for i in range(args.pairs):  # alternately: both sizes see the same machine state
                for size, jpegs in photos.items():
                    times[size].append(_post(record.predict_url, jpegs[i])[1])
            p50 = {size: round(float(np.percentile(t, 50)), 1) for size, t in times.items()}
            out["served_two_plates_p50_ms"] = p50
            out["served_1080p_over_640x480"] = round(p50["1920x1080"] / p50["640x480"], 2)
        finally:
            deployer.stop("bench-photo-sizes")
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
