"""Benchmark: the detector with its linear layers quantized to int8 (dynamic quantization),
side by side with float32: speed and what it reads.

    .venv/bin/python -m bench.int8 CHECKPOINT [--photos 60] [--runs 30] [--classic]

Swin's attention and MLP layers are ``nn.Linear``; dynamic quantization stores their weights
in int8 and quantizes activations on the fly (no calibration data). Both models read the same
generated photos (generator seed 505; ``--classic`` for checkpoints trained on the classic
look): EIR, plate precision, bbox mAP of each, then ``Detector.detect`` p50 of each on 640x480
photos, image by image, the order alternating. Prints one JSON document.
"""

from __future__ import annotations

import argparse
import copy
import json
import tempfile
import time
from pathlib import Path

import numpy as np


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoint")
    p.add_argument("--photos", type=int, default=60)
    p.add_argument("--runs", type=int, default=30)
    p.add_argument("--classic", action="store_true", help="photos in the classic look (SynthOptions.classic)")
    args = p.parse_args()

    import torch

    from alpr.coco import SplitSpec, merge_to_coco
    from alpr.labelme import read_labelme_folder
    from alpr.model.detector import Detector
    from alpr.model.evaluate import evaluate_detector
    from alpr.synth import SynthOptions, generate_dataset
    from alpr.synth.generate import image_rng
    from alpr.synth.scene import render_scene

    options = SynthOptions.classic() if args.classic else SynthOptions()
    folder = Path(tempfile.mkdtemp(prefix="alpr-int8-"))
    generate_dataset(str(folder / "raw"), n=args.photos, seed=505, options=options, progress=False)
    annotations, _ = read_labelme_folder(str(folder / "raw"), progress=False)
    merge_to_coco(annotations, str(folder / "coco"), SplitSpec(train=0.0, val=0.0, test=1.0), progress=False)

    fp32 = Detector(args.checkpoint)
    int8 = copy.copy(fp32)
    int8.model = torch.ao.quantization.quantize_dynamic(fp32.model, {torch.nn.Linear}, dtype=torch.qint8)
    variants = {"float32": fp32, "int8": int8}
    keep = ("eir", "plate_precision", "bbox_mAP", "char_accuracy", "exact_plates", "true_plates")
    scores = {name: {k: v for k, v in evaluate_detector(d, folder / "coco", "test", progress=False).model_dump().items()
                     if k in keep} for name, d in variants.items()}
    photos = [render_scene(image_rng(909, i), options).image for i in range(10)]
    times: dict[str, list[float]] = {name: [] for name in variants}
    for i in range(args.runs + 2):
        for name in (list(variants) if i % 2 else list(variants)[::-1]):
            started = time.perf_counter()
            variants[name].detect(photos[i % len(photos)])
            if i >= 2:
                times[name].append((time.perf_counter() - started) * 1000)
    p50 = {name: round(float(np.median(t)), 1) for name, t in times.items()}
    print(json.dumps({"checkpoint": args.checkpoint, "threads": torch.get_num_threads(), "photos": args.photos,
                      "look": "classic" if args.classic else "default", "scores": scores, "detect_p50_ms": p50,
                      "int8_vs_float32": round(p50["int8"] / p50["float32"], 3)}, indent=1))


if __name__ == "__main__":
    main()
