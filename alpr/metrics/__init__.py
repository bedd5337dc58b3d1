"""Metrics on the held-out split: COCO mAP, dv-mAP (mask-boundary IoU) and plate reading rates."""

from alpr.metrics.coco_map import coco_from_dict, coco_map
from alpr.metrics.dv_map import dv_iou, dv_map
from alpr.metrics.plate_rate import PlateMetrics, plate_metrics

__all__ = ["coco_from_dict", "coco_map", "dv_iou", "dv_map", "PlateMetrics", "plate_metrics"]
