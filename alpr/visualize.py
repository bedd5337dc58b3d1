"""Pictures for people: a grid of sample photos with their annotations drawn, a tuning
search's objective per trial, an evaluation's gallery of what the model read.

Dashboards show artifact visualizations at a modest size, so each tile is small and every
label is drawn large enough to read there."""

from __future__ import annotations

import base64
import html
import io
import json

import cv2
import numpy as np

from alpr.classes import BOARD_CLASSES, CLASS_NAMES, GLYPH_CLASSES
from alpr.fsutil import join, open_fs

#: BGR: boards green, number areas blue, glyphs orange
_COLOURS = {"board": (60, 180, 60), "area": (200, 120, 40), "glyph": (0, 140, 255)}


def samples_grid(coco_url: str, split: str = "train", count: int = 8, columns: int = 4,
                 tile: tuple[int, int] = (320, 240)) -> np.ndarray:
    """The first ``count`` photos of ``split`` (any fsspec URL of a merged COCO folder), each
    fitted into a ``tile`` with its polygons and labels, tiled ``columns`` wide (BGR)."""
    fs, root = open_fs(coco_url)
    doc = json.loads(fs.cat_file(join(root, "annotations", f"{split}.json")))
    images = doc["images"][:count]
    rows = max(1, -(-len(images) // columns))
    width, height = tile
    canvas = np.full((rows * height, columns * width, 3), 235, np.uint8)
    for i, image in enumerate(images):
        pixels = cv2.imdecode(np.frombuffer(fs.cat_file(join(root, image["file_name"])), np.uint8), cv2.IMREAD_COLOR)
        anns = [a for a in doc["annotations"] if a["image_id"] == image["id"]]
        r, c = divmod(i, columns)
        canvas[r * height:(r + 1) * height, c * width:(c + 1) * width] = _tile(pixels, anns, tile)
    return canvas


def _tile(pixels: np.ndarray, anns: list[dict], tile: tuple[int, int]) -> np.ndarray:
    """One photo fitted into ``tile`` (letterboxed) with its annotations drawn."""
    width, height = tile
    h, w = pixels.shape[:2]
    scale = min(width / w, height / h)
    small = cv2.resize(pixels, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    out = np.full((height, width, 3), 235, np.uint8)
    oy, ox = (height - small.shape[0]) // 2, (width - small.shape[1]) // 2
    out[oy:oy + small.shape[0], ox:ox + small.shape[1]] = small
    for ann in sorted(anns, key=lambda a: CLASS_NAMES[a["category_id"] - 1] in GLYPH_CLASSES):
        label = CLASS_NAMES[ann["category_id"] - 1]
        kind = "board" if label in BOARD_CLASSES else "glyph" if label in GLYPH_CLASSES else "area"
        points = np.array(ann["segmentation"][0], np.float32).reshape(-1, 2) * scale + (ox, oy)
        cv2.polylines(out, [points.round().astype(np.int32)], True, _COLOURS[kind], 1, cv2.LINE_AA)
        if kind == "glyph":  # the class above the glyph, readable at tile size
            x, y = points[:, 0].min(), points[:, 1].min()
            cv2.putText(out, label.upper(), (int(x), max(9, int(y) - 2)), cv2.FONT_HERSHEY_SIMPLEX, 0.35,
                        _COLOURS[kind], 1, cv2.LINE_AA)
    cv2.putText(out, f"{w}x{h}", (4, height - 6), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (40, 40, 40), 1, cv2.LINE_AA)
    return out


def trials_plot(objective: str, trials: list[tuple[int, float | None]], best_trial: int) -> bytes:
    """A PNG of each trial's objective value (``None``: the trial failed), the best one marked."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3), dpi=100)
    try:
        done = [(n, v) for n, v in trials if v is not None]
        failed = [n for n, v in trials if v is None]
        if done:
            ax.plot([n for n, _ in done], [v for _, v in done], "o-", color="#4a7", label="trial")
        for n in failed:
            ax.axvline(n, color="#c44", linestyle=":", label="failed" if n == failed[0] else None)
        best = [(n, v) for n, v in done if n == best_trial]
        if best:
            ax.plot(*best[0], "*", markersize=16, color="#d80", label=f"best: trial {best_trial}")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.set_xlabel("trial")
        ax.set_ylabel(objective)
        ax.set_title(f"{objective} per trial (maximised)")
        if done or failed:
            ax.legend(loc="best", fontsize=8)
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        return buffer.getvalue()
    finally:
        plt.close(fig)


def evaluation_gallery(dataset_dir: str, split: str, report, limit: int = 24, width: int = 480) -> str:
    """A self-contained HTML page (inline CSS, ``data:`` JPEGs, no scripts: dashboards show it
    in a sandboxed frame) of one evaluation: headline numbers first, then up to ``limit`` test
    photos, worst first, with every plate read boxed (green exact, red wrong, with the truth
    beside it) and its glyph boxes, then bbox AP per class and the glyph confusion matrix.
    ``report`` is an ``alpr.model.evaluate.EvaluationReport``."""
    from alpr.metrics import coco_from_dict
    from alpr.metrics.per_class import confusion_table
    from alpr.metrics.plate_rate import plate_outcomes

    fs, root = open_fs(dataset_dir)
    doc = json.loads(fs.cat_file(join(root, "annotations", f"{split}.json")))
    outcomes = plate_outcomes(coco_from_dict(doc), report.plate_readings())
    by_image: dict[int, list] = {}
    for outcome in outcomes:
        by_image.setdefault(outcome.image_id, []).append(outcome)
    images = {i["id"]: i for i in doc["images"]}
    glyphs = {image_id: [g for r in plates for g in r.get("glyphs", [])] for image_id, plates in report.readings.items()}
    wrong = lambda image_id: sum(not o.exact for o in by_image.get(image_id, []))  # noqa: E731
    shown = sorted(images, key=lambda i: (-wrong(i), images[i]["file_name"]))[:limit]

    cards = []
    for image_id in shown:
        pixels = cv2.imdecode(np.frombuffer(fs.cat_file(join(root, images[image_id]["file_name"])), np.uint8),
                              cv2.IMREAD_COLOR)
        scale = width / pixels.shape[1]
        view = cv2.resize(pixels, (width, max(1, round(pixels.shape[0] * scale))), interpolation=cv2.INTER_AREA)
        for label, *box in glyphs.get(image_id, []):
            x1, y1, x2, y2 = (round(v * scale) for v in box)
            cv2.rectangle(view, (x1, y1), (x2, y2), (255, 200, 0), 1)
        lines = []
        for o in by_image.get(image_id, []):
            if o.reading is not None:
                x1, y1, x2, y2 = (round(v * scale) for v in o.reading.bbox)
                cv2.rectangle(view, (x1, y1), (x2, y2), (40, 170, 40) if o.exact else (40, 40, 220), 2)
            if o.exact:
                lines.append(f'<li class="ok">{o.reading.text} ({o.reading.shape})</li>')
            elif o.reading is None:
                lines.append(f'<li class="bad">missed: truth {o.truth["text"]} ({o.truth["shape"]})</li>')
            elif o.truth is None:
                lines.append(f'<li class="bad">read {o.reading.text or "?"}: no plate there</li>')
            else:
                lines.append(f'<li class="bad">read {o.reading.text or "?"} ({o.reading.shape}), '
                             f'truth {o.truth["text"]} ({o.truth["shape"]})</li>')
        jpeg = base64.b64encode(cv2.imencode(".jpg", view, [cv2.IMWRITE_JPEG_QUALITY, 80])[1].tobytes()).decode()
        name = html.escape(images[image_id]["file_name"].rsplit("/", 1)[-1])
        size = f'{images[image_id]["width"]}x{images[image_id]["height"]}'
        cards.append(f'<div class="card"><img src="data:image/jpeg;base64,{jpeg}" alt="{name}">'
                     f'<div class="cap">{name} ({size})<ul>{"".join(lines) or "<li>no plates</li>"}</ul></div></div>')

    headline = [("EIR (exact plates)", report.eir), ("plate precision", report.plate_precision),
                ("character accuracy", report.char_accuracy), ("bbox mAP", report.bbox_mAP),
                ("segm mAP", report.segm_mAP), ("dv-mAP", report.dv_mAP)]
    numbers = "".join(f"<td><b>{v:.3f}</b><br>{k}</td>" for k, v in headline)
    numbers += f"<td><b>{report.latency_p50_ms:.0f} ms</b><br>latency p50</td>"
    ap = "".join(f"<tr><td>{html.escape(c)}</td><td>{v:.3f}</td></tr>" for c, v in report.per_class_ap.items())
    matrix = confusion_table(report.glyph_confusion)
    confusion = "".join("<tr>" + "".join(f"<{'th' if r == 0 or c == 0 else 'td'}>{cell}</{'th' if r == 0 or c == 0 else 'td'}>"
                                          for c, cell in enumerate(row)) + "</tr>" for r, row in enumerate(matrix))
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><style>
body{{font-family:sans-serif;margin:8px;color:#222}} table{{border-collapse:collapse;margin:6px 0}}
td,th{{border:1px solid #ccc;padding:2px 6px;font-size:12px;text-align:center}}
.cards{{display:flex;flex-wrap:wrap;gap:8px}} .card{{width:{width}px;border:1px solid #ccc}}
.card img{{width:{width}px;display:block}} .cap{{font-size:12px;padding:4px}} ul{{margin:2px 0;padding-left:18px}}
.ok{{color:#1a7a1a}} .bad{{color:#c01818;font-weight:bold}}
</style></head><body>
<h3>{html.escape(split)} split: {report.exact_plates} of {report.true_plates} plates read exactly, {report.images} photos</h3>
<table><tr>{numbers}</tr></table>
<p>Worst photos first (up to {limit}); boxes: plates read (green exact, red wrong), glyphs read (blue).</p>
<div class="cards">{"".join(cards)}</div>
<h3>bbox AP per class</h3><table><tr><th>class</th><th>AP</th></tr>{ap}</table>
<h3>Glyph classes: true (rows) as detected (columns)</h3><table>{confusion}</table>
</body></html>"""
