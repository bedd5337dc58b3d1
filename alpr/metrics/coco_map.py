"""COCO bbox / segm mAP through pycocotools."""

from __future__ import annotations

import contextlib
import io

from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval


def coco_map(gt: COCO, results: list[dict], iou_type: str = "bbox") -> dict[str, float]:
    """``mAP`` (0.5:0.95), ``mAP50`` and ``mAP75`` of COCO-format ``results``; 0 when empty."""
    if not results:
        return {"mAP": 0.0, "mAP50": 0.0, "mAP75": 0.0}
    with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints its tables
        dt = gt.loadRes(results)
        ev = COCOeval(gt, dt, iou_type)
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return {"mAP": max(float(ev.stats[0]), 0.0), "mAP50": max(float(ev.stats[1]), 0.0), "mAP75": max(float(ev.stats[2]), 0.0)}


def coco_from_dict(doc: dict) -> COCO:
    """A pycocotools COCO index over an in-memory dataset dict."""
    coco = COCO()
    coco.dataset = doc
    with contextlib.redirect_stdout(io.StringIO()):
        coco.createIndex()
    return coco
