"""Benchmark: mmcv's RoIAlign kernels against torchvision's, side by side in one process.

    .venv/bin/python -m bench.roi_align CHECKPOINT [--runs 30]

The detector as serving configures it (board masks only) reads the same 640x480 photos with
each kernel in turn, image by image, the order alternating; prints the p50 of a whole
``Detector.detect`` with each, their ratio, whether the detections are the same (labels, and
boxes within 0.01 px), and the RoIAlign modules' own milliseconds per pass on the finding view
(forward hooks, as ``bench.static_export`` splits a pass).
"""

from __future__ import annotations

import argparse
import json
import time

import cv2
import numpy as np

VARIANTS = ("mmcv", "torchvision")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoint")
    p.add_argument("--runs", type=int, default=30)
    args = p.parse_args()

    import torch

    from alpr.classes import BOARD_CLASSES
    from alpr.model.detector import Detector
    from alpr.synth import SynthOptions
    from alpr.synth.generate import image_rng
    from alpr.synth.scene import render_scene
    from bench.static_export import _stage_times

    detector = Detector(args.checkpoint, mask_classes=list(BOARD_CLASSES))
    photos = [render_scene(image_rng(909, i), SynthOptions.classic()).image for i in range(min(args.runs, 20))]
    times: dict[str, list[float]] = {v: [] for v in VARIANTS}
    same, max_diff = 0, 0.0
    for i in range(args.runs + 2):
        photo = photos[i % len(photos)]
        found = {}
        for variant in (VARIANTS if i % 2 else VARIANTS[::-1]):
            detector.configure_test(roi_align=variant)
            started = time.perf_counter()
            found[variant] = detector.detect(photo)
            if i >= 2:  # two warm-up photos
                times[variant].append((time.perf_counter() - started) * 1000)
        a, b = found.values()
        if [o.label for o in a] == [o.label for o in b]:
            diff = max((float(np.abs(np.subtract(x.bbox, y.bbox)).max()) for x, y in zip(a, b)), default=0.0)
            max_diff = max(max_diff, diff)
            same += diff < 0.01
    view = cv2.resize(photos[0], detector.input_size, interpolation=cv2.INTER_AREA)
    stages = {}
    for variant in VARIANTS:
        detector.configure_test(roi_align=variant)
        parts = _stage_times(detector, view, args.runs)
        stages[variant] = {k: parts[k] for k in ("roi_head.bbox_roi_extractor", "roi_head.mask_roi_extractor", "total")}
    p50 = {v: round(float(np.median(t)), 1) for v, t in times.items()}
    print(json.dumps({
        "checkpoint": args.checkpoint, "threads": torch.get_num_threads(), "runs": args.runs,
        "detect_p50_ms": p50, "torchvision_vs_mmcv": round(p50["torchvision"] / p50["mmcv"], 3),
        "photos_with_same_detections": f"{same}/{args.runs + 2}", "max_box_difference_px": round(max_diff, 5),
        "finding_view_ms_by_stage": stages,
    }, indent=1))


if __name__ == "__main__":
    main()
