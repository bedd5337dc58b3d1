"""Benchmark: bare-model inference latency (mmdet, batch 1, 640x480 input) on this machine.

    .venv/bin/python -m bench.inference_speed CHECKPOINT [--runs 50] [--size 640 480]
        [--rpn-proposals 150] [--max-detections 50] [--score-thr 0.2] [--rpn-nms-pre 300]
        [--roi-sampling 2] [--board-masks-only] [--no-second-look]

Each option overrides one test-time lever of the checkpoint's own config, so the effect of
each can be measured separately. Prints p50/p95 in milliseconds and the torch thread count.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from alpr.classes import BOARD_CLASSES
from alpr.synth import SynthOptions
from alpr.synth.generate import image_rng
from alpr.synth.scene import render_scene


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoint")
    p.add_argument("--runs", type=int, default=50)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--size", type=int, nargs=2, metavar=("W", "H"), help="resize scale (default: as trained)")
    p.add_argument("--rpn-proposals", type=int, help="test_cfg.rpn.max_per_img")
    p.add_argument("--max-detections", type=int, help="test_cfg.rcnn.max_per_img")
    p.add_argument("--score-thr", type=float, help="test_cfg.rcnn.score_thr")
    p.add_argument("--rpn-nms-pre", type=int, help="test_cfg.rpn.nms_pre (RPN candidates per level before NMS)")
    p.add_argument("--roi-sampling", type=int, help="RoIAlign sampling ratio (points per bin; 0 adaptive)")
    p.add_argument("--board-masks-only", action="store_true", help="masks for boards only (what serving reads)")
    p.add_argument("--no-second-look", action="store_true", help="skip the checkpoint's glyph classifier")
    args = p.parse_args()

    import torch

    from alpr.model.checkpoint import load_checkpoint
    from alpr.model.detector import Detector

    ckpt = load_checkpoint(args.checkpoint)
    detector = Detector(ckpt, mask_classes=list(BOARD_CLASSES) if args.board_masks_only else None,
                        second_look=not args.no_second_look)
    detector.configure_test(score_threshold=args.score_thr, rpn_proposals=args.rpn_proposals,
                            max_detections=args.max_detections, size=args.size, rpn_nms_pre=args.rpn_nms_pre,
                            roi_sampling_ratio=args.roi_sampling)
    test_cfg = detector.model.test_cfg
    images = [render_scene(image_rng(909, i), SynthOptions()).image for i in range(min(args.runs, 20))]
    for i in range(args.warmup):
        detector.detect(images[i % len(images)])
    times = []
    for i in range(args.runs):
        started = time.perf_counter()
        detector.detect(images[i % len(images)])
        times.append((time.perf_counter() - started) * 1000)
    print(json.dumps({
        "p50_ms": round(float(np.percentile(times, 50)), 1),
        "p95_ms": round(float(np.percentile(times, 95)), 1),
        "runs": args.runs,
        "threads": torch.get_num_threads(),
        "test_cfg": json.loads(json.dumps(test_cfg, default=str)) if test_cfg is not None else None,
        "masks": "boards" if args.board_masks_only else "all",
        "second_look": detector.glyph_classifier is not None,
        "roi_sampling": detector.model.roi_head.bbox_roi_extractor.roi_layers[0].sampling_ratio,
        "resize": [t["scale"] for t in detector.model.cfg.test_dataloader.dataset.pipeline if t["type"] == "Resize"],
    }, indent=1))


if __name__ == "__main__":
    main()
