"""dv-mAP: an mAP whose overlap measure follows the mask boundary (the reference system's metric).

dv-IoU of a predicted and a true mask: take the boundary pixels of each mask (all contour
points), sort them by y and cut them into 3 equal consecutive parts (top, middle, bottom);
do the same sorted by x (left, middle, right). For each of the 6 corresponding part pairs,
take the IoU of the two parts' bounding boxes (pixel boxes, ``max + 1`` exclusive); dv-IoU is
the mean of the 6. It is 1 only when the outlines agree part by part, and it punishes a
shifted or truncated outline more than plain mask IoU does for thin shapes such as glyphs.

dv-mAP: COCO-style AP with dv-IoU in place of IoU: per class, predictions sorted by score
are matched greedily to unmatched true objects of the same image with dv-IoU >= t; AP is the
101-point interpolated precision over recall; averaged over classes that have true objects
and over t = 0.50, 0.55, ..., 0.95.
"""

from __future__ import annotations

from collections import defaultdict

import cv2
import numpy as np
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO

from alpr.boxes import box_overlaps

THRESHOLDS = np.linspace(0.5, 0.95, 10)
RECALL_POINTS = np.linspace(0.0, 1.0, 101)


def boundary_points(mask: np.ndarray) -> np.ndarray:
    """All contour pixels of a binary mask as an (N, 2) array of (x, y)."""
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    if not contours:
        return np.zeros((0, 2), np.int64)
    return np.concatenate([c.reshape(-1, 2) for c in contours]).astype(np.int64)


def dv_iou(pred_mask: np.ndarray, gt_mask: np.ndarray) -> float:
    p, g = boundary_points(pred_mask), boundary_points(gt_mask)
    if len(p) < 3 or len(g) < 3:
        return 0.0
    ious = []
    for axis in (1, 0):  # by y, then by x
        p_parts = np.array_split(p[np.argsort(p[:, axis], kind="stable")], 3)
        g_parts = np.array_split(g[np.argsort(g[:, axis], kind="stable")], 3)
        ious += [box_overlaps(_pixel_box(a), _pixel_box(b)) for a, b in zip(p_parts, g_parts)]
    return float(np.mean(ious))


def dv_map(gt: COCO, results: list[dict]) -> float:
    """dv-mAP of COCO-format ``results`` (with RLE ``segmentation``) against ``gt``."""
    gt_by = defaultdict(list)  # (image, category) -> annotations
    for ann in gt.loadAnns(gt.getAnnIds()):
        gt_by[(ann["image_id"], ann["category_id"])].append(ann)
    categories = sorted({c for (_, c) in gt_by})
    if not categories:
        return 0.0
    preds_by_cat = defaultdict(list)
    for r in results:
        preds_by_cat[r["category_id"]].append(r)
    gt_masks: dict[int, np.ndarray] = {}
    aps = np.zeros((len(THRESHOLDS), len(categories)))
    for ci, cat in enumerate(categories):
        n_gt = sum(len(v) for (_, c), v in gt_by.items() if c == cat)
        preds = sorted(preds_by_cat[cat], key=lambda r: -r["score"])
        # dv-IoU of each prediction with each true object of its image (boxes overlapping only)
        overlaps = []
        for r in preds:
            candidates = gt_by.get((r["image_id"], cat), [])
            pmask = mask_utils.decode(r["segmentation"])
            row = {}
            for ann in candidates:
                if box_overlaps(_xywh(r["bbox"]), _xywh(ann["bbox"])) > 0:
                    if ann["id"] not in gt_masks:
                        gt_masks[ann["id"]] = gt.annToMask(ann)
                    row[ann["id"]] = dv_iou(pmask, gt_masks[ann["id"]])
            overlaps.append(row)
        for ti, t in enumerate(THRESHOLDS):
            matched: set[int] = set()
            tp = np.zeros(len(preds))
            for i, row in enumerate(overlaps):
                best, best_iou = None, t
                for ann_id, iou in row.items():
                    if ann_id not in matched and iou >= best_iou:
                        best, best_iou = ann_id, iou
                if best is not None:
                    matched.add(best)
                    tp[i] = 1
            aps[ti, ci] = _average_precision(tp, n_gt)
    return float(aps.mean())


def _average_precision(tp: np.ndarray, n_gt: int) -> float:
    if n_gt == 0 or len(tp) == 0:
        return 0.0
    ctp = np.cumsum(tp)
    recall = ctp / n_gt
    precision = ctp / np.arange(1, len(tp) + 1)
    precision = np.maximum.accumulate(precision[::-1])[::-1]  # make it monotone
    idx = np.searchsorted(recall, RECALL_POINTS, side="left")
    return float(np.mean([precision[i] if i < len(precision) else 0.0 for i in idx]))


def _pixel_box(points: np.ndarray) -> tuple[float, float, float, float]:
    x1, y1 = points.min(axis=0)
    x2, y2 = points.max(axis=0) + 1
    return float(x1), float(y1), float(x2), float(y2)


def _xywh(b) -> tuple[float, float, float, float]:
    return b[0], b[1], b[0] + b[2], b[1] + b[3]
