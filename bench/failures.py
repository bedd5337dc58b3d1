"""Failure analysis: why plates are not read, by cause and by what the plate looked like.

    .venv/bin/python -m bench.failures CHECKPOINT LABELME_DIR [--out DIR] [--worst 24]
        [--plate-scale NAME=VALUE ...]

Every photo of the labelme folder (any source: generated, foreign, annotated by hand) is read
by ``Detector`` as serving runs it. Each true plate not read exactly gets a cause
(``alpr.metrics.plate_rate.MISS_CAUSES``: board not found, wrong shape, glyph missed, glyphs
misplaced, glyph wrong), counted overall and per plate width, tilt, photo size, shape, and,
where the renderer recorded them in the labelme file (``render``), per font, paint, background
kind and effect (occluders, shadow, glare...). ``not_found_on_plain_boards`` counts boards not
found although flat, untilted (< 3 degrees), unoccluded and at least 5 % of the photo's width:
those should never be missed. Lists every miss (file, truth, cause, what was read there) and
every wrong reading (file, truth, what was read, its score), and sweeps a minimum plate score
(``score_sweep``): EIR and precision, overall and in the worst photo-size bucket, with weaker
readings dropped, to show what a threshold on the score clients see would buy and cost.
Prints JSON; writes it and a gallery of the worst cases (boards not found first, widest first;
then misreadings) to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

import cv2
import numpy as np

from alpr.classes import BOARD_CLASSES
from alpr.coco import coco_document
from alpr.fsutil import join, open_fs
from alpr.labelme import load_image_bytes, read_labelme_folder
from alpr.metrics import coco_from_dict
from alpr.metrics.plate_rate import (
    MISS_CAUSES,
    bucketed_metrics,
    metrics_of,
    miss_cause,
    photo_size_bucket,
    plate_outcomes,
    plate_width_bucket,
)
from alpr.postprocess import ReadOptions
from bench.photo_sizes import add_plate_scale_option, plate_scale_overrides

TILTS = (0, 3, 10, 20)  # degrees: bucket edges
TILE = (320, 170)  # gallery tile (width, height)
#: minimum plate scores ``score_sweep`` tries
SCORE_SWEEP = (0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def tilt_of(points: list[tuple[float, float]]) -> float:
    """The board's tilt in degrees (0-45): the angle of its minimum-area rectangle."""
    *_, angle = cv2.minAreaRect(np.asarray(points, np.float32))
    angle = angle % 90
    return float(min(angle, 90 - angle))


def tilt_bucket(tilt: float) -> str:
    i = max(i for i, lo in enumerate(TILTS) if tilt >= lo)
    return f"{TILTS[i]}-{TILTS[i + 1]}deg" if i + 1 < len(TILTS) else f">={TILTS[i]}deg"


def plate_attributes(item, doc: dict) -> dict[int, dict]:
    """Per group id: what the plate looked like (geometry from the polygons, style from the
    renderer's ``render`` record when there is one)."""
    render = doc.get("render") or {}
    styles = {p.get("group_id"): p for p in render.get("plates", [])}
    background = str(render.get("background", "unknown")).split(":")[0]
    out = {}
    for shape in item.shapes:
        if shape.label not in BOARD_CLASSES:
            continue
        style = styles.get(shape.group_id, {})
        x1, _, x2, _ = shape.bbox
        tilt = tilt_of(shape.points)
        effects = list(style.get("effects", [])) + (["frame"] if style.get("frame") else [])
        out[shape.group_id] = {
            "plate_width": plate_width_bucket(x2 - x1), "tilt": tilt_bucket(tilt),
            "photo_size": photo_size_bucket(item.width, item.height), "shape": BOARD_CLASSES[shape.label],
            "font": style.get("font", "unknown"), "paint": str(style.get("paint", "unknown")),
            "background": background, "effects": effects or ["none"],
            "plain": (not style.get("effects") and not style.get("texture") and tilt < 3
                      and (x2 - x1) >= 0.05 * item.width),
        }
    return out


def score_sweep(gt, readings: dict[int, list], thresholds=SCORE_SWEEP) -> list[dict]:
    """Per minimum score: EIR, precision and wrong readings (of another text or of no plate)
    with every reading scoring less dropped (matched afresh), and the worst photo-size bucket's
    EIR and precision."""
    rows = []
    for threshold in thresholds:
        kept = {i: [r for r in rs if r.score >= threshold] for i, rs in readings.items()}
        outcomes = plate_outcomes(gt, kept)
        m = metrics_of(outcomes)
        sizes = bucketed_metrics(gt, outcomes)["photo_size"].values()
        rows.append({"min_score": threshold, "eir": round(m.eir, 4), "plate_precision": round(m.plate_precision, 4),
                     "wrong_readings": m.predicted_plates - m.exact,
                     "worst_size_eir": min(row["eir"] for row in sizes),
                     "worst_size_precision": min(row["plate_precision"] for row in sizes)})
    return rows


def analyse(checkpoint: str, folder: str, out: Path, worst: int = 24,
            plate_scale: dict | None = None) -> dict:
    """``plate_scale``: test-time ``PlateScale`` fields changed (``plate_scale_overrides``)."""
    from alpr.model.detector import Detector, read_detected_plates

    annotations, validation = read_labelme_folder(folder, progress=False)
    items = annotations.images
    gt = coco_from_dict(coco_document(items, {i.json_file: i.image_file for i in items}))
    fs, root = open_fs(folder)
    detector = Detector(checkpoint, mask_classes=list(BOARD_CLASSES))  # as serving runs it
    detector.configure_test(plate_scale=plate_scale)
    everything, readings, attributes, item_of = {}, {}, {}, {}
    for image_id, item in enumerate(items, start=1):
        pixels = cv2.imdecode(np.frombuffer(load_image_bytes(folder, item), np.uint8), cv2.IMREAD_COLOR)
        everything[image_id] = read_detected_plates(detector.detect(pixels), ReadOptions(include_invalid=True))
        readings[image_id] = [r for r in everything[image_id] if r.valid]
        attributes[image_id] = plate_attributes(item, json.loads(fs.cat_file(join(root.rstrip("/"), item.json_file))))
        item_of[image_id] = item
    outcomes = plate_outcomes(gt, readings)
    overall = metrics_of(outcomes)
    causes: Counter[str] = Counter()
    by: dict[str, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    misses = []
    for o in outcomes:
        if o.truth is None:
            continue
        attrs = attributes[o.image_id][o.truth["group_id"]]
        cause, near = (None, o.reading) if o.exact else miss_cause(o.truth, everything[o.image_id])
        for key in ("plate_width", "tilt", "photo_size", "shape", "font", "paint", "background", "effects"):
            for value in attrs[key] if key == "effects" else [attrs[key]]:
                row = by[key][value]
                row["plates"] += 1
                row["exact"] += o.exact
                if cause:
                    row[cause] += 1
        if cause:
            causes[cause] += 1
            misses.append((o, cause, near, attrs))
    plain_missed = [m for m in misses if m[1] == "board not found" and m[3]["plain"]]
    result = {
        "checkpoint": checkpoint, "folder": folder, "photos": len(items), "bad_files": validation.bad,
        "plates": overall.true_plates, "eir": round(overall.eir, 4), "plate_precision": round(overall.plate_precision, 4),
        "false_readings": sum(o.truth is None for o in outcomes),  # readings of no true plate
        "causes": {c: causes[c] for c in MISS_CAUSES},
        "not_found_on_plain_boards": len(plain_missed),
        # EIR and precision per photo size and plate width (readings of no plate counted too)
        "buckets": bucketed_metrics(gt, outcomes),
        "by": {key: {value: {"plates": row["plates"], "eir": round(row["exact"] / row["plates"], 4),
                             **{c: row[c] for c in MISS_CAUSES if row[c]}}
                     for value, row in sorted(values.items())} for key, values in by.items()},
        "misses": [{"file": item_of[o.image_id].image_file, "truth": o.truth["text"],
                    "shape": o.truth["shape"], "bbox": [round(v) for v in o.truth["bbox"]], "cause": cause,
                    "read": near.text if near is not None else None} for o, cause, near, _ in misses],
        # readings not exactly right: of a true plate (its text) or of none (truth null)
        "wrong_readings": [{"file": item_of[o.image_id].image_file, "truth": o.truth["text"] if o.truth else None,
                   "read": o.reading.text, "shape": o.reading.shape, "score": round(o.reading.score, 4)}
                  for o in outcomes if o.reading is not None and not o.exact],
        "score_sweep": score_sweep(gt, readings),
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "failures.json").write_text(json.dumps(result, indent=1))
    order = sorted(misses, key=lambda m: (m[1] != "board not found", -(m[0].truth["bbox"][2] - m[0].truth["bbox"][0])))
    if order and worst > 0:
        gallery = _gallery(order[:worst], folder, item_of)
        cv2.imwrite(str(out / "worst.png"), gallery)
        result["gallery"] = str(out / "worst.png")
    return result


def _gallery(misses, folder: str, items: dict) -> np.ndarray:
    """One tile per miss: the plate with a margin, the truth box green, the reading's red."""
    tiles = []
    for o, cause, near, attrs in misses:
        image = cv2.imdecode(np.frombuffer(load_image_bytes(folder, items[o.image_id]), np.uint8), cv2.IMREAD_COLOR)
        x1, y1, x2, y2 = o.truth["bbox"]
        m = 0.4 * max(x2 - x1, y2 - y1)
        cx1, cy1 = int(max(x1 - m, 0)), int(max(y1 - m, 0))
        cx2, cy2 = int(min(x2 + m, image.shape[1])), int(min(y2 + m, image.shape[0]))
        crop = image[cy1:cy2, cx1:cx2].copy()
        cv2.rectangle(crop, (int(x1 - cx1), int(y1 - cy1)), (int(x2 - cx1), int(y2 - cy1)), (0, 200, 0), 2)
        if near is not None:
            a, b, c, d = near.bbox
            cv2.rectangle(crop, (int(a - cx1), int(b - cy1)), (int(c - cx1), int(d - cy1)), (0, 0, 230), 1)
        scale = min(TILE[0] / crop.shape[1], (TILE[1] - 40) / crop.shape[0])
        crop = cv2.resize(crop, (max(1, int(crop.shape[1] * scale)), max(1, int(crop.shape[0] * scale))))
        tile = np.full((TILE[1], TILE[0], 3), 255, np.uint8)
        tile[:crop.shape[0], :crop.shape[1]] = crop
        read = (near.text or "-") if near is not None else "-"
        for i, line in enumerate((f"{o.truth['text']} read {read}", f"{cause}, {attrs['plate_width']}")):
            cv2.putText(tile, line, (4, TILE[1] - 24 + 16 * i), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 1, cv2.LINE_AA)
        tiles.append(tile)
    while len(tiles) % 4:
        tiles.append(np.full_like(tiles[0], 255))
    return np.vstack([np.hstack(tiles[i:i + 4]) for i in range(0, len(tiles), 4)])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoint")
    p.add_argument("labelme", help="labelme folder (local path or fsspec URL)")
    p.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "alpr-failures")
    p.add_argument("--worst", type=int, default=24, help="gallery size")
    add_plate_scale_option(p)
    args = p.parse_args()
    plate_scale = plate_scale_overrides(args.plate_scale)
    result = analyse(str(Path(args.checkpoint).resolve()), args.labelme, args.out, args.worst, plate_scale)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
