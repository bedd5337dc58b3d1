"""Our metrics as a registered mmengine metric, usable from any config's evaluator.

``dict(type='PlateReadingMetric', ann_file=...)`` reports dv-mAP, EIR, plate precision and
per-character accuracy (plus COCO mAP) during validation, e.g. into TensorBoard.
"""

from __future__ import annotations

from collections.abc import Sequence

from mmdet.registry import METRICS
from mmengine.evaluator import BaseMetric
from pycocotools.coco import COCO

from alpr.classes import CLASS_NAMES
from alpr.model.detector import DetectedObject
from alpr.model.evaluate import score_image, summarize


@METRICS.register_module()
class PlateReadingMetric(BaseMetric):
    """Scores what the model kept at its test-time threshold (``test_cfg.rcnn.score_thr``,
    as the evaluate step and serving do); ``score_threshold`` drops weaker detections too."""

    default_prefix = "alpr"

    def __init__(self, ann_file: str, score_threshold: float = 0.0, collect_device: str = "cpu",
                 prefix: str | None = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.ann_file = ann_file
        self.score_threshold = score_threshold

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            pred = sample["pred_instances"]
            masks = pred["masks"].detach().cpu().numpy().astype(bool)
            objects = [
                DetectedObject.from_image_mask(CLASS_NAMES[int(c)], float(s), tuple(float(v) for v in b), m)
                for b, s, c, m in zip(pred["bboxes"].cpu().numpy(), pred["scores"].cpu().numpy(),
                                      pred["labels"].cpu().numpy(), masks)
                if float(s) >= self.score_threshold
            ]
            height, width = sample["ori_shape"]
            results, readings = score_image(sample["img_id"], objects, list(CLASS_NAMES), (width, height))
            self.results.append((sample["img_id"], results, readings))

    def compute_metrics(self, results: list) -> dict[str, float]:
        gt = COCO(self.ann_file)
        records = [r for _, image_results, _ in results for r in image_results]
        readings = {image_id: plates for image_id, _, plates in results}
        return {k: float(v) for k, v in summarize(gt, records, readings).items() if not isinstance(v, dict)}
