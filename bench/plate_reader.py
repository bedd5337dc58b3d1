"""Benchmark: reading plates from glyphs alone vs with the plate reader, side by side.

    .venv/bin/python -m bench.plate_reader CHECKPOINT [--labelme DIR] [--per-size 40] [--view-read 0.9]
        [--ways glyphs reader_view ...] [--against OTHER_CHECKPOINT]

One checkpoint that holds a plate reader (``bench.add_small_nets --reader`` adds one), read
five ways (``--ways``: some of them), photo by photo in turn (all see the same machine state),
eager as serving runs it:

- ``glyphs``: the reader ignored, plates read from detected glyphs (what older models do);
- ``reader_fallback``: the reader's text only for boards whose glyphs read no valid plate;
- ``reader_first``: the reader's text for every board it reads, every plate read from its crop;
- ``reader_view``: as ``reader_first``, and a board the reader reads surely enough from the
  finding view (``--view-read`` confidence) gets no crop (one detector pass fewer): the default;
- ``reader_view_voting``: as ``reader_view``, each board read from three views that vote
  (``plate_reader.VOTING_WIDENINGS``: its rectangle, and it widened at each end).

``--against`` adds one more way, ``against``: ``reader_view`` with another checkpoint (e.g. the
same detector with a plate reader trained otherwise), so two checkpoints are compared photo by
photo.

Photos: a labelme folder (``--labelme``, e.g. the foreign set from ``python -m alpr.foreign``),
or ``--per-size`` generated photos at each standard size, as ``bench.photo_sizes`` draws them.
Prints EIR, plate precision and p50 latency per variant, per photo size and plate width, and
each variant's EIR and latency relative to the first way.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from alpr.classes import BOARD_CLASSES
from alpr.model.plate_scale import PlateScale
from alpr.postprocess import ReadOptions
from bench.photo_sizes import generated, report, test_set


WAYS = ("glyphs", "reader_fallback", "reader_first", "reader_view", "reader_view_voting")


def variants(checkpoint: str, view_read: float, names: list[str], against: str | None = None) -> dict:
    """name -> (detector, read options) for the ways ``names`` only (a detector is a model
    built in memory), sharing one checkpoint; with ``against``, also ``against``: that
    checkpoint read the ``reader_view`` way."""
    from alpr.model.checkpoint import load_checkpoint
    from alpr.model.detector import Detector
    from alpr.model.plate_reader import VOTING_WIDENINGS

    def with_reader(path: str):
        loaded = load_checkpoint(path)
        if loaded.reader is None:
            raise SystemExit(f"{path}: no plate reader in this checkpoint (bench.add_small_nets --reader adds one)")
        return loaded

    crop_always = {"plate_scale": {"view_read_confidence": None}}
    view = {"plate_scale": {"view_read_confidence": view_read}}
    # name -> (the detector's settings, its test-time settings, how its detections are read)
    ways = {"glyphs": ({"plate_reader": False}, {}, ReadOptions(reader="off")),
            "reader_fallback": ({}, crop_always, ReadOptions(reader="fallback")),
            "reader_first": ({}, crop_always, ReadOptions()),
            "reader_view": ({}, view, ReadOptions()),
            "reader_view_voting": ({}, {**view, "read_widenings": VOTING_WIDENINGS}, ReadOptions())}
    chosen = [(name, checkpoint, *ways[name]) for name in names]
    if against:
        chosen.append(("against", against, *ways["reader_view"]))
    loaded = {path: with_reader(path) for path in {path for _, path, *_ in chosen}}
    out = {}
    for name, path, settings, test, options in chosen:
        detector = Detector(loaded[path], mask_classes=list(BOARD_CLASSES), **settings)
        detector.configure_test(**test)
        out[name] = (detector, options)
    return out


def main() -> None:
    from alpr.model.detector import read_detected_plates

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoint")
    p.add_argument("--labelme", type=Path, help="a labelme folder to read instead of generated photos")
    p.add_argument("--per-size", type=int, default=40, help="generated photos per standard size")
    p.add_argument("--seed", type=int, default=303)
    p.add_argument("--view-read", type=float, default=PlateScale().view_read_confidence,
                   help="reader_view's confidence threshold (default: the model's default)")
    p.add_argument("--ways", nargs="+", choices=WAYS, default=list(WAYS),
                   help="the ways to read, in this order; the first is the others' baseline")
    p.add_argument("--against", help="another checkpoint, read as reader_view (way 'against')")
    p.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "alpr-plate-reader")
    args = p.parse_args()

    coco, doc, gt, bad = test_set(args.labelme or generated(args.out, args.per_size, args.seed), args.out / "coco")
    ways = variants(args.checkpoint, args.view_read, args.ways, args.against)
    readings: dict[str, dict] = {name: {} for name in ways}
    times: dict[str, dict] = {name: {} for name in ways}
    for image in doc["images"]:
        pixels = cv2.imread(str(coco / image["file_name"]))
        for name, (detector, options) in ways.items():
            started = time.perf_counter()
            readings[name][image["id"]] = read_detected_plates(detector.detect(pixels), options)
            times[name][image["id"]] = (time.perf_counter() - started) * 1000
    out: dict = {"photos": len(doc["images"]), "bad_files": bad, "view_read": args.view_read}
    for name in ways:
        out[name] = report(gt, doc, readings[name], times[name])
        out[name]["latency_p50_ms"] = round(float(np.percentile(list(times[name].values()), 50)), 1)
    first = args.ways[0]
    base = out[first]
    out[f"vs_{first}"] = {name: {"eir": round(out[name]["eir"] - base["eir"], 4),
                                 "latency_p50": round(out[name]["latency_p50_ms"] / base["latency_p50_ms"], 3)}
                          for name in ways if name != first}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
