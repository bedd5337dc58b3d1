"""Benchmark for a GPU machine lent for minutes: train the Swin-T model, score it, time reading.

    python -m bench.gpu_check [--device cuda] [--iters 1500] [--time-budget 240]
        [--train-images 1200] [--test-images 200] [--model full] [--json OUT.json]

One command does it all, so a first lent machine gives every number at once (docs/gpu.md):
draws training and test photos as ``bench.train_eval`` does (the default pipeline's camera mix,
generator seeds 101 and 202: the bench test set), trains ``configs/model/full.py`` (Swin-T
widths) for ``--iters`` iterations or until ``--time-budget`` seconds have passed, scores it
(EIR, plate precision, bbox mAP) through ``Detector.detect`` as the evaluate step does, and
times what the model service does with one 640x480 JPEG: decode, detect (board masks only),
read the plates. Where mmcv has no compiled ops for the machine's torch, torchvision's kernels
stand in (``alpr/model/torchvision_ops.py``; ``--torchvision-ops`` forces them). Fonts the
machine lacks are left out of the generator's faces, and the JSON says which were used.
With ``--device cpu`` and tiny numbers it runs anywhere (tests/test_gpu_check.py).
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

import cv2
import numpy as np

from alpr.coco import SplitSpec
from alpr.model import torchvision_ops
from bench.train_eval import DEFAULT_SYNTH, build, synth_options

#: what a 640x480 reading should take on a GPU
TARGET_P50_MS = 15.0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="cuda")
    p.add_argument("--model", default="full", help="configs/model/NAME.py (default: %(default)s)")
    p.add_argument("--iters", type=int, default=1500)
    p.add_argument("--time-budget", type=float, default=240.0, help="seconds of detector training at most")
    p.add_argument("--train-images", type=int, default=1200)
    p.add_argument("--test-images", type=int, default=200)
    p.add_argument("--latency-runs", type=int, default=50)
    p.add_argument("--no-glyphs", action="store_true", help="skip the second-look glyph classifier")
    p.add_argument("--torchvision-ops", action="store_true", help="torchvision's NMS/RoIAlign even where mmcv has its own")
    p.add_argument("--out", default="/tmp/alpr-gpu-check")
    p.add_argument("--json", type=Path, help="also write the JSON document here")
    args = p.parse_args()
    logging.basicConfig(level=logging.WARNING)
    ops = torchvision_ops.install(force=args.torchvision_ops)

    import torch

    from alpr.model.glyph_classifier import GlyphParams
    from alpr.model.train import train_detector
    from alpr.model.training_config import TrainParams

    if args.device.startswith("cuda") and not torch.cuda.is_available():
        raise SystemExit(f"--device {args.device}: torch {torch.__version__} sees no CUDA device")
    out = Path(args.out)
    options = synth_options(DEFAULT_SYNTH, installed_fonts_only=True)
    started = time.perf_counter()
    train_set = build(out / f"train-{args.train_images}", args.train_images, 101,
                      SplitSpec(train=0.95, val=0.05, test=0.0), options)
    test_set = build(out / f"test-{args.test_images}", args.test_images, 202,
                     SplitSpec(train=0.0, val=0.0, test=1.0), options)
    data_s = time.perf_counter() - started

    params = TrainParams(model=args.model, max_iters=args.iters, validate_at_end=False, log_interval=50,
                         time_budget_s=args.time_budget, glyphs=GlyphParams(enabled=not args.no_glyphs))
    result = train_detector(params, train_set, out / f"run-{int(time.time())}")
    detector_s = result.detector_train_s
    accuracy = score(str(result.checkpoint), test_set, args.device)
    latency = reading_latency(str(result.checkpoint), args.device, args.latency_runs, options)
    report = {
        "device": torch.cuda.get_device_name(0) if args.device.startswith("cuda") else "cpu",
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "mmcv_ops": ops,
        "model": args.model,
        "look": options.look,
        "fonts": options.fonts,
        "data": {"train_images": args.train_images, "test_images": args.test_images, "draw_s": round(data_s, 1)},
        "training": {
            "iterations": result.iterations, "iterations_asked": args.iters,
            "batch_size": result.params.batch_size, "train_crop": result.params.train_crop,
            "detector_s": round(detector_s, 1),
            # start-up (model build, loader workers) included: a slight overestimate
            "s_per_iteration": round(detector_s / max(result.iterations, 1), 4),
            "whole_s": round(result.wall_time_s, 1), "peak_rss_mb": round(result.peak_rss_mb),
        },
        "accuracy": accuracy,
        "latency_640x480": {**latency, "target_p50_ms": TARGET_P50_MS,
                            "p50_vs_target": round(latency["p50_ms"] / TARGET_P50_MS, 2)},
        "checkpoint": str(result.checkpoint),
    }
    if args.device.startswith("cuda"):
        report["gpu_peak_memory_mb"] = round(torch.cuda.max_memory_allocated() / 2**20)
    text = json.dumps(report, indent=1, default=str)
    print(text)
    if args.json:
        args.json.write_text(text)


def score(checkpoint: str, test_set: Path, device: str) -> dict:
    """EIR, plate precision, mAP and per-photo latency on the test split, as the evaluate step scores."""
    from alpr.model.detector import Detector
    from alpr.model.evaluate import evaluate_detector

    report = evaluate_detector(Detector(checkpoint, device=device), test_set, "test", progress=False)
    keep = ("images", "eir", "exact_plates", "true_plates", "plate_precision", "char_accuracy", "bbox_mAP",
            "segm_mAP", "latency_p50_ms", "latency_p95_ms")
    return {k: v for k, v in report.model_dump().items() if k in keep}


def reading_latency(checkpoint: str, device: str, runs: int, options) -> dict:
    """What the model service does per request, timed: decode one 640x480 JPEG (drawn with the
    generator ``options``), detect with board masks only (as serving configures the detector),
    read the plates."""
    from alpr.classes import BOARD_CLASSES
    from alpr.model.detector import Detector, read_detected_plates
    from alpr.serving import decode_image
    from alpr.synth.generate import image_rng
    from alpr.synth.scene import render_scene

    detector = Detector(checkpoint, device=device, mask_classes=list(BOARD_CLASSES))
    options = options.model_copy(update={"image_sizes": [(640, 480)], "image_size_weights": None,
                                          "portrait_fraction": 0.0, "closeup_fraction": 0.0})
    photos = [cv2.imencode(".jpg", render_scene(image_rng(909, i), options).image)[1].tobytes() for i in range(10)]
    for photo in photos[:3]:  # warm-up: kernels, allocator, cudnn's algorithm choice
        read_detected_plates(detector.detect(decode_image(photo)))
    times = []
    for i in range(runs):
        started = time.perf_counter()
        read_detected_plates(detector.detect(decode_image(photos[i % len(photos)])))
        times.append((time.perf_counter() - started) * 1000)
    return {"runs": runs, "p50_ms": round(float(np.percentile(times, 50)), 2),
            "p95_ms": round(float(np.percentile(times, 95)), 2)}


if __name__ == "__main__":
    main()
