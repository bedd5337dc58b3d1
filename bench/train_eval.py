"""Benchmark: train the default CPU model, then score it on fresh generated images.

    .venv/bin/python -m bench.train_eval --train-images 2000 --test-images 200 [--iters N] [--seed S]

Training and test images come from different generator seeds, so the test set is unseen; both
are drawn as the default pipeline draws them (``configs/training.yaml``'s ``data.synth_options``:
photos from 640x480 to 4K) unless ``--synth-options`` names another YAML file.
Prints mAP, dv-mAP, EIR, plate precision, per-character accuracy, training wall time, peak
memory and inference latency, next to the reference system's (the ALPR system this project
rebuilds: EIR 28/62 = 0.45). Training settings not given keep the model config's values.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import resource
import time
from pathlib import Path

from alpr.coco import SplitSpec, merge_to_coco
from alpr.config_loader import load_yaml
from alpr.labelme import read_labelme_folder
from alpr.project import PROJECT_ROOT
from alpr.synth import SynthOptions, generate_dataset
from alpr.synth.fonts import TRAINING_FONTS, installed
from alpr.synth.options import CLASSIC

REFERENCE_SYSTEM_EIR = (28, 62)  # the ALPR system this project rebuilds, as reported


DEFAULT_SYNTH = PROJECT_ROOT / "configs" / "training.yaml"


def synth_options(path: Path, installed_fonts_only: bool = False) -> SynthOptions:
    """Generator options from a YAML file of SynthOptions, or a pipeline config's
    ``data.synth_options``; with ``installed_fonts_only``, without the faces this machine lacks
    (a lent GPU machine has no Debian font packages)."""
    doc = load_yaml(str(path))
    if "parameters" in doc:
        doc = (doc["parameters"].get("data") or {}).get("synth_options") or {}
    if installed_fonts_only:
        wanted = doc.get("fonts") or (CLASSIC["fonts"] if doc.get("look") == "classic" else TRAINING_FONTS)
        doc = {**doc, "fonts": installed(wanted)}
    return SynthOptions.model_validate(doc)


def build(folder: Path, n: int, seed: int, spec: SplitSpec, options: SynthOptions) -> Path:
    """A generated, merged COCO set, kept under ``folder`` (named by its options) for reuse."""
    key = hashlib.sha256(options.model_dump_json().encode()).hexdigest()[:8]
    raw, coco = folder / f"{key}" / "raw", folder / f"{key}" / "coco"
    if not (coco / "summary.json").exists():
        generate_dataset(str(raw), n=n, seed=seed, options=options, progress=False, overwrite=True)
        annotations, _ = read_labelme_folder(str(raw), progress=False)
        merge_to_coco(annotations, str(coco), spec, progress=False)
    return coco


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default="/tmp/alpr-bench")
    p.add_argument("--train-images", type=int, default=2000)
    p.add_argument("--test-images", type=int, default=200)
    p.add_argument("--iters", type=int, help="training iterations (default: the model config's)")
    p.add_argument("--batch", type=int, help="default: the model config's")
    p.add_argument("--lr", type=float, help="default: the model config's")
    p.add_argument("--size", type=int, nargs=2, metavar=("W", "H"), help="scene size (default: the model config's)")
    p.add_argument("--train-crop", type=int, nargs=2, metavar=("W", "H"),
                   help="training window around a plate (default: the model config's)")
    p.add_argument("--score-threshold", type=float, help="default: the model config's")
    p.add_argument("--rpn-proposals", type=int, help="test-time proposals (default: the model config's)")
    p.add_argument("--max-detections", type=int, help="test-time detections (default: the model config's)")
    p.add_argument("--rpn-nms-pre", type=int, help="test-time RPN candidates per level before NMS")
    p.add_argument("--roi-sampling", type=int, help="test-time RoIAlign sampling ratio (0: adaptive)")
    p.add_argument("--test-size", type=int, nargs=2, metavar=("W", "H"), help="test-time resize (default: as trained)")
    p.add_argument("--model", default="default")
    p.add_argument("--seed", type=int, default=0, help="training seed (weights, sampling, augmentation)")
    p.add_argument("--embed-dims", type=int)
    p.add_argument("--checkpoint", help="skip training: evaluate this checkpoint")
    p.add_argument("--synth-options", type=Path, default=DEFAULT_SYNTH,
                   help="generator options: a YAML file of SynthOptions or a pipeline config (default: %(default)s)")
    args = p.parse_args()
    logging.basicConfig(level=logging.WARNING)
    out = Path(args.out)

    from alpr.model.training_config import TrainParams
    from alpr.model.detector import Detector
    from alpr.model.evaluate import evaluate_detector
    from alpr.model.train import train_detector

    options = synth_options(args.synth_options)
    train_set = build(out / f"train-{args.train_images}", args.train_images, 101,
                      SplitSpec(train=0.95, val=0.05, test=0.0), options)
    test_set = build(out / f"test-{args.test_images}", args.test_images, 202,
                     SplitSpec(train=0.0, val=0.0, test=1.0), options)
    result = None
    checkpoint = args.checkpoint
    if checkpoint is None:
        params = TrainParams(model=args.model, max_iters=args.iters, batch_size=args.batch, lr=args.lr,
                             embed_dims=args.embed_dims, validate_at_end=False,
                             image_size=tuple(args.size) if args.size else None,
                             train_crop=tuple(args.train_crop) if args.train_crop else None,
                             log_interval=50, seed=args.seed)
        result = train_detector(params, train_set, out / f"run-{int(time.time())}-{os.getpid()}")
        checkpoint = str(result.checkpoint)
    detector = Detector(checkpoint)
    detector.configure_test(score_threshold=args.score_threshold, rpn_proposals=args.rpn_proposals,
                            max_detections=args.max_detections, size=tuple(args.test_size) if args.test_size else None,
                            rpn_nms_pre=args.rpn_nms_pre, roi_sampling_ratio=args.roi_sampling)
    report = evaluate_detector(detector, test_set, "test", progress=False)
    numbers = {
        **report.model_dump(),
        "train_wall_time_s": round(result.wall_time_s, 1) if result else None,
        "train_peak_rss_mb": round(result.peak_rss_mb, 1) if result else None,
        "process_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "checkpoint": checkpoint,
        "args": vars(args),
    }
    print(json.dumps(numbers, indent=1, default=str))
    ok, n = REFERENCE_SYSTEM_EIR
    print(f"EIR {report.eir:.3f} ({report.exact_plates}/{report.true_plates}) vs the reference system's "
          f"{ok}/{n} = {ok / n:.2f}")


if __name__ == "__main__":
    main()
