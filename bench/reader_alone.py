"""Benchmark: plate readers alone on a labelme folder's true board outlines, side by side.

    .venv/bin/python -m bench.reader_alone CHECKPOINT [CHECKPOINT ...] --labelme DIR
        [--jitter 0 0.06 0.1] [--seed 0]

Each checkpoint's plate reader reads every board that has a true reading (the board's labelme
``description``) from its true outline, and from it shifted, scaled and turned at random as
detected outlines are (``--jitter``: fraction of its size; every checkpoint sees the same
outlines). Each board counts as read exactly, read wrong (a valid text, not the true one) or
not read.

Why: no detector runs, so it takes seconds where the whole path takes minutes, and it shows a
reader's character the whole path hides. The whole path takes a reader's text before the
detector's glyphs, so a reader that reads a style it never saw wrongly, rather than not at all,
costs precision there: two readers trained alike with other seeds read the foreign set's
outlines with 12 and 36 wrong, and the whole path with precision 0.895 and 0.822
(docs/results.md).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import cv2
import numpy as np

from alpr.model.checkpoint import load_checkpoint
from alpr.model.plate_reader import PlateReader, ReaderParams, board_rectangle, jittered, true_boards
from bench.photo_sizes import test_set


def outcomes(reads: list[str], truths: list[str]) -> dict[str, int]:
    """Counts of boards read exactly, read as another valid text, and not read."""
    exact = sum(r == t for r, t in zip(reads, truths))
    wrong = sum(bool(r) and r != t for r, t in zip(reads, truths))
    return {"boards": len(truths), "exact": exact, "wrong": wrong, "none": len(truths) - exact - wrong}


def read_alone(readers: dict[str, PlateReader], coco: Path, jitters: list[float], seed: int) -> dict:
    """name -> jitter -> ``outcomes`` of each reader on the COCO test split's read boards."""
    photos = list(true_boards(coco, "test"))
    truths = [text for _, read in photos for _, text in read]
    out: dict = {name: {} for name in readers}
    for jitter in jitters:
        rng, shift = np.random.default_rng(seed), ReaderParams(jitter=jitter)  # one draw: every reader sees it
        outlines = [[jittered(c, shift, rng).tolist() if jitter else c.tolist()
                     for c in (board_rectangle(outline) for outline, _ in read)] for _, read in photos]
        for name, reader in readers.items():
            reads = [text for (pixels, _), boards in zip(photos, outlines)
                     for text, _ in reader.read(cv2.cvtColor(pixels, cv2.COLOR_GRAY2BGR), boards)]
            out[name][str(jitter)] = outcomes(reads, truths)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoints", nargs="+", help="checkpoints holding a plate reader")
    p.add_argument("--labelme", type=Path, required=True, help="labelme folder with true readings")
    p.add_argument("--jitter", type=float, nargs="+", default=[0.0, 0.06, 0.1],
                   help="how far off the outlines are drawn (fraction of their size; 0: the true ones)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "alpr-reader-alone")
    args = p.parse_args()
    readers = {}
    for path in args.checkpoints:
        model = load_checkpoint(path).reader
        if model is None:
            p.error(f"{path}: no plate reader in this checkpoint (bench.add_small_nets --reader adds one)")
        readers[path] = PlateReader(model)
    coco, _, _, bad = test_set(args.labelme, args.out / "coco")
    print(json.dumps({"folder": str(args.labelme), "bad_files": bad,
                      "readers": read_alone(readers, coco, args.jitter, args.seed)}, indent=1))


if __name__ == "__main__":
    main()
