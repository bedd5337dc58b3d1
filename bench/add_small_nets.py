"""Train the glyph classifier and/or the plate reader for an existing checkpoint, and write a
checkpoint that holds them.

    .venv/bin/python -m bench.add_small_nets CHECKPOINT COCO_DIR OUT [--glyphs] [--reader]
        [--config configs/training.yaml] [--epochs N]

For detectors trained before these networks existed, to give one a newer recipe's networks, or
to compare one detector with and without them (``Detector(..., second_look=False,
plate_reader=False)`` ignores them). Each is trained as the pipeline config's ``train_params``
say (``glyphs:``, ``reader:``; default: the default pipeline's), on COCO_DIR's train split, and
scored on its val split, as the train step does.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
from pathlib import Path

from alpr.config_loader import load_yaml
from alpr.model.checkpoint import load_checkpoint, save_checkpoint
from alpr.model.glyph_classifier import train_glyph_classifier
from alpr.model.plate_reader import train_plate_reader
from alpr.model.training_config import TrainParams
from alpr.project import PROJECT_ROOT


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoint")
    p.add_argument("coco_dir", type=Path, help="merged COCO folder: its train split trains, its val split scores")
    p.add_argument("out")
    p.add_argument("--glyphs", action="store_true", help="(re)train the glyph classifier")
    p.add_argument("--reader", action="store_true", help="(re)train the plate reader")
    p.add_argument("--config", default=str(PROJECT_ROOT / "configs" / "training.yaml"),
                   help="pipeline config whose train_params say how (default: configs/training.yaml)")
    p.add_argument("--epochs", type=int, help="epochs of each (default: the config's)")
    args = p.parse_args()
    if not (args.glyphs or args.reader):
        p.error("nothing to train: give --glyphs and/or --reader")
    logging.basicConfig(level=logging.INFO)
    params = TrainParams.model_validate((load_yaml(args.config).get("parameters") or {}).get("train_params") or {})
    epochs = {"epochs": args.epochs} if args.epochs else {}
    checkpoint = load_checkpoint(args.checkpoint)
    if args.glyphs:
        glyphs = train_glyph_classifier(args.coco_dir, params.glyphs.model_copy(update=epochs))
        checkpoint = dataclasses.replace(checkpoint, glyphs=glyphs)
        print(f"glyph classifier: {glyphs.metrics}")
    if args.reader:
        reader = train_plate_reader(args.coco_dir, params.reader.model_copy(update=epochs))
        checkpoint = dataclasses.replace(checkpoint, reader=reader)
        print(f"plate reader: {reader.metrics}")
    save_checkpoint(checkpoint, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
