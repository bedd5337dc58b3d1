"""Build a detector from a checkpoint file alone and run it on images."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

import cv2
import numpy as np

from alpr.classes import GLYPHS
from alpr.model.checkpoint import Checkpoint, load_checkpoint
from alpr.model.glyph_classifier import GlyphClassifier
from alpr.boxes import greedy_groups, iou_above
from alpr.postprocess import GLYPH_GROUP_IOU, Detection


@dataclass
class DetectedObject:
    """One detection with its full-image binary mask."""

    label: str
    score: float
    bbox: tuple[float, float, float, float]
    mask: np.ndarray  # HxW bool

    def outline(self, epsilon: float = 1.0) -> tuple[tuple[float, float], ...] | None:
        """The mask's largest outer contour, simplified; None for an empty mask.

        Traced inside the box only (masks are full-image sized; this is ~20x less work)."""
        h, w = self.mask.shape
        x1, y1 = max(int(np.floor(self.bbox[0])) - 1, 0), max(int(np.floor(self.bbox[1])) - 1, 0)
        x2, y2 = min(int(np.ceil(self.bbox[2])) + 2, w), min(int(np.ceil(self.bbox[3])) + 2, h)
        crop = np.ascontiguousarray(self.mask[y1:y2, x1:x2], dtype=np.uint8)
        if crop.size == 0:
            return None
        contours, _ = cv2.findContours(crop, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        if not contours:
            return None
        contour = cv2.approxPolyDP(max(contours, key=cv2.contourArea), epsilon, True).reshape(-1, 2)
        if len(contour) < 3:
            return None
        return tuple((float(x + x1), float(y + y1)) for x, y in contour)

    def to_detection(self, with_outline: bool = True) -> Detection:
        return Detection(self.label, self.score, self.bbox, self.outline() if with_outline else None)


#: at most this many classes per glyph come out of the second look
GLYPH_CLASSES_KEPT = 3


class Detector:
    """A trained Mask R-CNN, built from the self-describing checkpoint only."""

    def __init__(
        self,
        checkpoint: Checkpoint | str,
        device: str = "cpu",
        score_threshold: float | None = None,
        mask_classes: Collection[str] | None = None,
        second_look: bool = True,
    ):
        """``score_threshold`` None keeps the model config's test-time threshold; with
        ``mask_classes``, detections of other classes get empty masks (faster: serving reads
        only boards' outlines; evaluation needs every mask). ``second_look`` False ignores the
        checkpoint's glyph classifier (glyph classes as the detector alone sees them)."""
        from mmengine.config import Config
        from mmdet.registry import MODELS
        from mmdet.utils import register_all_modules

        register_all_modules()
        self.checkpoint = load_checkpoint(checkpoint) if isinstance(checkpoint, str) else checkpoint
        cfg = Config.fromstring(self.checkpoint.config_text, ".py")
        pipeline = [t for t in cfg.test_dataloader.dataset.pipeline if t["type"] != "LoadAnnotations"]
        cfg.test_dataloader.dataset.pipeline = pipeline
        if mask_classes is not None:
            import alpr.model.heads  # noqa: F401  registers PartialMaskRoIHead

            unknown = sorted(set(mask_classes) - set(self.checkpoint.classes))
            if unknown:
                raise ValueError(f"mask_classes {unknown} are not classes of this model: {self.checkpoint.classes}")
            cfg.model.roi_head.type = "PartialMaskRoIHead"
            cfg.model.roi_head.mask_labels = [self.checkpoint.classes.index(c) for c in mask_classes]
        model = MODELS.build(cfg.model)
        missing, unexpected = model.load_state_dict(self.checkpoint.state_dict, strict=False)
        if missing or unexpected:
            raise ValueError(f"checkpoint does not fit its own config: missing {missing[:5]}, unexpected {unexpected[:5]}")
        if model.test_cfg is not None and "rcnn" in model.test_cfg:
            # one threshold: detections below it are not worth their masks (the costly part)
            if score_threshold is None:
                score_threshold = float(model.test_cfg.rcnn.score_thr)
            model.test_cfg.rcnn.score_thr = score_threshold
        model.cfg = cfg
        model.dataset_meta = {"classes": tuple(self.checkpoint.classes)}
        self.model = model.to(device).eval()
        self.classes = list(self.checkpoint.classes)
        self.score_threshold = 0.0 if score_threshold is None else score_threshold
        glyphs = self.checkpoint.glyphs
        self.glyph_classifier = GlyphClassifier(glyphs) if glyphs is not None and second_look else None
        self._pipeline: Callable[[dict], dict] | None = None

    def configure_test(
        self,
        *,
        score_threshold: float | None = None,
        rpn_proposals: int | None = None,
        max_detections: int | None = None,
        size: tuple[int, int] | None = None,
        rpn_nms_pre: int | None = None,
        roi_sampling_ratio: int | None = None,
    ) -> None:
        """Change the test-time levers (benchmarks measure each): score threshold, proposals
        kept after the RPN, detections kept, the (width, height) scenes are resized to, the
        RPN's candidates per level before its NMS, RoIAlign's points per bin (0: adaptive)."""
        test_cfg = self.model.test_cfg
        if score_threshold is not None:
            test_cfg.rcnn.score_thr = self.score_threshold = score_threshold
        if rpn_proposals is not None:
            test_cfg.rpn.max_per_img = rpn_proposals
            test_cfg.rpn.nms_pre = max(rpn_proposals * 3, test_cfg.rpn.nms_pre)
        if rpn_nms_pre is not None:
            test_cfg.rpn.nms_pre = rpn_nms_pre
        if roi_sampling_ratio is not None:
            roi_head = self.model.roi_head
            extractors = [roi_head.bbox_roi_extractor] + ([roi_head.mask_roi_extractor] if roi_head.with_mask else [])
            for layer in (layer for extractor in extractors for layer in extractor.roi_layers):
                layer.sampling_ratio = roi_sampling_ratio
        if max_detections is not None:
            test_cfg.rcnn.max_per_img = max_detections
        if size is not None:
            for t in self.model.cfg.test_dataloader.dataset.pipeline:
                if t["type"] == "Resize":
                    t["scale"] = tuple(size)
            self._pipeline = None

    def pipeline(self) -> Callable[[dict], dict]:
        """The test pipeline (resize, pack) for in-memory images, built once: mmdet's
        ``inference_detector`` otherwise copies the whole config and rebuilds it per image."""
        if self._pipeline is None:
            from mmcv.transforms import Compose
            from mmdet.utils import get_test_pipeline_cfg

            steps = get_test_pipeline_cfg(self.model.cfg.copy())
            steps[0].type = "mmdet.LoadImageFromNDArray"
            self._pipeline = Compose(steps)
        return self._pipeline

    def detect(self, image: np.ndarray) -> list[DetectedObject]:
        """Detections on one BGR image (HxWx3 uint8), in its own pixel coordinates."""
        import torch
        from mmdet.apis import inference_detector

        with torch.inference_mode():
            sample = inference_detector(self.model, image, test_pipeline=self.pipeline())
        inst = sample.pred_instances
        keep = inst.scores >= self.score_threshold
        bboxes = inst.bboxes[keep].cpu().numpy()
        scores = inst.scores[keep].cpu().numpy()
        labels = inst.labels[keep].cpu().numpy()
        masks = inst.masks[keep].cpu().numpy() if "masks" in inst else np.zeros((len(scores), *image.shape[:2]), bool)
        objects = [
            DetectedObject(self.classes[int(c)], float(s), tuple(float(v) for v in b), m.astype(bool, copy=False))
            for b, s, c, m in zip(bboxes, scores, labels, masks)
        ]
        if self.glyph_classifier is not None:
            classifier = self.glyph_classifier
            objects = second_look(objects, lambda boxes: classifier.probabilities(image, boxes), self.score_threshold)
        return objects


def second_look(
    objects: list[DetectedObject],
    probabilities: Callable[[list[tuple[float, float, float, float]]], np.ndarray],
    score_threshold: float = 0.0,
) -> list[DetectedObject]:
    """Glyph classes from the glyph classifier (``probabilities`` of boxes, over ``GLYPHS``):
    the detector's glyphs at one place (any class, IoU > ``GLYPH_GROUP_IOU``) are one glyph,
    its strength the sum of their scores (the detector splits it among the classes it hesitates
    between); each glyph comes out once per class the classifier gives it, scored strength x
    probability (the best class always, up to ``GLYPH_CLASSES_KEPT - 1`` others when at or
    above the score threshold: the plate grammar may need them)."""
    groups = greedy_groups((o for o in objects if o.label in GLYPHS), iou_above(GLYPH_GROUP_IOU))
    if not groups:
        return objects
    probs = probabilities([grp[0].bbox for grp in groups])
    out = [o for o in objects if o.label not in GLYPHS]
    for group, p in zip(groups, probs):
        lead = group[0]
        best: dict[str, float] = {}
        for o in group:
            best[o.label] = max(best.get(o.label, 0.0), o.score)
        strength = min(1.0, sum(best.values()))
        for rank, c in enumerate(np.argsort(-p)):
            score = strength * float(p[c])
            if rank >= GLYPH_CLASSES_KEPT or (rank > 0 and score < max(score_threshold, 1e-3)):
                break
            out.append(DetectedObject(GLYPHS[c], score, lead.bbox, lead.mask))
    return sorted(out, key=lambda o: -o.score)
