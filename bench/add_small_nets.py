"""Train the glyph classifier and/or the plate reader for an existing checkpoint, and write a
checkpoint that holds them.

    .venv/bin/python -m bench.add_small_nets CHECKPOINT COCO_DIR OUT [--glyphs] [--reader] [--epochs N]

For detectors trained before these networks existed, or to compare one detector with and
without them (``Detector(..., second_look=False, plate_reader=False)`` ignores them). Each
trains on COCO_DIR's train split and scores on its val split, as the train step does.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
from pathlib import Path

from alpr.model.checkpoint import load_checkpoint, save_checkpoint
from alpr.model.glyph_classifier import GlyphParams, train_glyph_classifier
from alpr.model.plate_reader import ReaderParams, train_plate_reader


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoint")
    p.add_argument("coco_dir", type=Path, help="merged COCO folder: its train split trains, its val split scores")
    p.add_argument("out")
    p.add_argument("--glyphs", action="store_true", help="(re)train the glyph classifier")
    p.add_argument("--reader", action="store_true", help="(re)train the plate reader")
    p.add_argument("--epochs", type=int, help="epochs of each (default: their own)")
    args = p.parse_args()
    if not (args.glyphs or args.reader):
        p.error("nothing to train: give --glyphs and/or --reader")
    logging.basicConfig(level=logging.INFO)
    checkpoint = load_checkpoint(args.checkpoint)
    epochs = {"epochs": args.epochs} if args.epochs else {}
    if args.glyphs:
        checkpoint = dataclasses.replace(checkpoint, glyphs=train_glyph_classifier(args.coco_dir, GlyphParams(**epochs)))
        print(f"glyph classifier: {checkpoint.glyphs.metrics}")
    if args.reader:
        checkpoint = dataclasses.replace(checkpoint, reader=train_plate_reader(args.coco_dir, ReaderParams(**epochs)))
        print(f"plate reader: {checkpoint.reader.metrics}")
    save_checkpoint(checkpoint, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
