"""Train the glyph classifier for an existing checkpoint and write a checkpoint that holds both.

    .venv/bin/python -m bench.add_glyph_classifier CHECKPOINT COCO_DIR OUT [--epochs N]

For detectors trained before the classifier existed, or to compare the same detector with and
without it (``Detector(..., second_look=False)`` ignores it).
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
from pathlib import Path

from alpr.model.checkpoint import load_checkpoint, save_checkpoint
from alpr.model.glyph_classifier import GlyphParams, train_glyph_classifier


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoint")
    p.add_argument("coco_dir", type=Path, help="merged COCO folder: its train split trains, its val split scores")
    p.add_argument("out")
    p.add_argument("--epochs", type=int, default=GlyphParams().epochs)
    args = p.parse_args()
    logging.basicConfig(level=logging.INFO)
    checkpoint = load_checkpoint(args.checkpoint)
    glyphs = train_glyph_classifier(args.coco_dir, GlyphParams(epochs=args.epochs))
    save_checkpoint(dataclasses.replace(checkpoint, glyphs=glyphs), args.out)
    print(f"{args.out}: glyph classifier {glyphs.metrics}")


if __name__ == "__main__":
    main()
