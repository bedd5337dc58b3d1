"""Build a detector from a checkpoint file alone and run it on photos of any size.

``Detector.detect`` reads every plate at the pixel scale the model was trained on
(``alpr/model/plate_scale.py``): it finds boards on a reduced view of the photo, then looks
again at each plate found, on a crop of the full-resolution photo at the reading scale;
everything comes back in photo coordinates. Serving, evaluation and tuning all call it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from typing import NamedTuple

import cv2
import numpy as np

from alpr.boxes import Box, greedy_groups, iou_above, union_box
from alpr.classes import BOARD_CLASSES, GLYPHS
from alpr.model.board_edges import painted_board, prepare_lab_tables
from alpr.model.checkpoint import Checkpoint, load_checkpoint
from alpr.model.glyph_classifier import GlyphClassifier
from alpr.model.plate_reader import PlateReader
from alpr.model.plate_scale import PlateScale
from alpr.postprocess import GLYPH_GROUP_IOU, Detection, PlateReading, ReadOptions, group_boards, read_plates

#: at most this many boards per photo are looked at again (bounds the time of one photo)
MAX_CROPS = 8


@dataclass
class DetectedObject:
    """One detection. Its mask covers its box only (photos reach 4K: a full-photo mask per
    detection would cost megabytes each); ``mask_origin`` is the mask's top-left photo pixel."""

    label: str
    score: float
    bbox: Box
    mask: np.ndarray  # bool, the pixels of the box region
    mask_origin: tuple[int, int] = (0, 0)
    #: a board's text as the plate reader read it ("" if none) and its confidence
    text: str = ""
    text_score: float = 0.0

    @classmethod
    def from_image_mask(cls, label: str, score: float, bbox: Box, mask: np.ndarray) -> "DetectedObject":
        """From a mask the size of the whole image (what mmdet gives): keep the box region."""
        x0, y0, x1, y1 = _pixel_box(bbox, mask.shape[1], mask.shape[0])
        return cls(label, score, bbox, np.ascontiguousarray(mask[y0:y1, x0:x1], dtype=bool), (x0, y0))

    def image_mask(self, width: int, height: int) -> np.ndarray:
        """The mask as a whole-image (height x width) array."""
        out = np.zeros((height, width), bool)
        x0, y0 = self.mask_origin
        h, w = self.mask.shape
        out[y0:y0 + h, x0:x0 + w] = self.mask[:max(0, height - y0), :max(0, width - x0)]
        return out

    def outline(self, epsilon: float = 1.0) -> tuple[tuple[float, float], ...] | None:
        """The mask's largest outer contour, simplified; None for an empty mask."""
        if self.mask.size == 0:
            return None
        contours, _ = cv2.findContours(self.mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        if not contours:
            return None
        contour = cv2.approxPolyDP(max(contours, key=cv2.contourArea), epsilon, True).reshape(-1, 2)
        if len(contour) < 3:
            return None
        x0, y0 = self.mask_origin
        return tuple((float(x + x0), float(y + y0)) for x, y in contour)

    def to_detection(self, with_outline: bool = True) -> Detection:
        return Detection(self.label, self.score, self.bbox, self.outline() if with_outline else None,
                         self.text, self.text_score)

    def with_mask_joined(self, mask: np.ndarray, origin: tuple[int, int]) -> "DetectedObject":
        """The detection with its mask joined by another (``mask`` at photo pixel ``origin``);
        its box stays the detector's."""
        (ax, ay), (bx, by) = self.mask_origin, origin
        (ah, aw), (bh, bw) = self.mask.shape, mask.shape
        x0, y0 = min(ax, bx), min(ay, by)
        joined = np.zeros((max(ay + ah, by + bh) - y0, max(ax + aw, bx + bw) - x0), bool)
        joined[ay - y0:ay - y0 + ah, ax - x0:ax - x0 + aw] = self.mask
        joined[by - y0:by - y0 + bh, bx - x0:bx - x0 + bw] |= mask
        return replace(self, mask=joined, mask_origin=(x0, y0))

    def mapped(self, scale: tuple[float, float], offset: tuple[float, float], size: tuple[int, int]) -> "DetectedObject":
        """The detection in another image's pixels: ``x * scale + offset``; that image is
        ``size`` (width, height)."""
        (sx, sy), (dx, dy) = scale, offset
        x1, y1, x2, y2 = self.bbox
        bbox = (x1 * sx + dx, y1 * sy + dy, x2 * sx + dx, y2 * sy + dy)
        nx0, ny0, nx1, ny1 = _pixel_box(bbox, *size)
        ox, oy = self.mask_origin
        if self.mask.size == 0 or nx1 <= nx0 or ny1 <= ny0:
            return replace(self, bbox=bbox, mask=np.zeros((max(ny1 - ny0, 0), max(nx1 - nx0, 0)), bool),
                           mask_origin=(nx0, ny0))
        # pixel centres: (i + 0.5) maps to (i + 0.5) * s + d, in each mask's own index frame
        m = np.array([[sx, 0, (ox + 0.5) * sx + dx - nx0 - 0.5], [0, sy, (oy + 0.5) * sy + dy - ny0 - 0.5]], np.float32)
        warped = cv2.warpAffine(self.mask.astype(np.uint8) * 255, m, (nx1 - nx0, ny1 - ny0), flags=cv2.INTER_LINEAR)
        return replace(self, bbox=bbox, mask=warped > 127, mask_origin=(nx0, ny0))


def _pixel_box(bbox: Box, width: int, height: int) -> tuple[int, int, int, int]:
    """The whole pixels around a box (one more on each side), clipped to the image."""
    x1, y1, x2, y2 = bbox
    return (min(max(int(np.floor(x1)) - 1, 0), width), min(max(int(np.floor(y1)) - 1, 0), height),
            max(min(int(np.ceil(x2)) + 2, width), 0), max(min(int(np.ceil(y2)) + 2, height), 0))


class Crop(NamedTuple):
    """One plate to look at again (photo pixels)."""

    region: tuple[int, int, int, int]  #: the photo region cropped
    own: Box  #: the plate's own region: only detections centred in it count
    factor: float  #: the scale bringing its board to the reading width
    #: (region, factor) of the crop led by its group's strongest board of the other shape
    other_shape: tuple[tuple[int, int, int, int], float] | None = None


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
        plate_reader: bool = True,
    ):
        """``score_threshold`` None keeps the model config's test-time threshold; with
        ``mask_classes``, detections of other classes get empty masks (faster: serving reads
        only boards' outlines; evaluation needs every mask). ``second_look`` False ignores the
        checkpoint's glyph classifier (glyph classes as the detector alone sees them);
        ``plate_reader`` False ignores its plate reader (plates read from glyphs alone)."""
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
        reader = self.checkpoint.reader
        self.plate_reader = PlateReader(reader) if reader is not None and plate_reader else None
        self.plate_scale = PlateScale.model_validate(cfg.get("plate_scale") or {})
        #: (width, height) the finding view fits into: the model config's test-time Resize
        self.input_size: tuple[int, int] = tuple(next(t["scale"] for t in pipeline if t["type"] == "Resize"))
        #: how boards are grouped into plates when choosing what to look at again: boards found
        #: far from the reading scale score lower, so weaker ones count (recall first: a crop of
        #: no plate reads no text of plate form; 0.1 instead of 0.2 read 0.974 instead of 0.970
        #: of 470 generated plates, precision unchanged, ~10 % more detector time)
        self.read_options = ReadOptions(board_threshold=0.1)
        #: boards read are outlined to their painted edge (``alpr/model/board_edges.py``)
        self.board_edges = True
        prepare_lab_tables()
        self._pipeline: Callable[[dict], dict] | None = None
        # checkpoints trained before the model configs chose torchvision's RoIAlign kernels:
        # the same detections, ~15 % faster per photo on 2 cores (bench/roi_align.py)
        self.configure_test(roi_align="torchvision")

    def configure_test(
        self,
        *,
        score_threshold: float | None = None,
        rpn_proposals: int | None = None,
        max_detections: int | None = None,
        size: tuple[int, int] | None = None,
        rpn_nms_pre: int | None = None,
        roi_sampling_ratio: int | None = None,
        roi_align: str | None = None,
        extra_find_scales: tuple[float, ...] | None = None,
        plate_scale: dict | None = None,
        read_widenings: tuple[float, ...] | None = None,
        board_edges: bool | None = None,
    ) -> None:
        """Change the test-time levers (benchmarks measure each): score threshold, proposals
        kept after the RPN, detections kept, the (width, height) scenes are resized to, the
        RPN's candidates per level before its NMS, RoIAlign's points per bin (0: adaptive) and
        its kernels ("mmcv" or "torchvision": the same arithmetic, other code), and the
        coarser views boards are also looked for on (``PlateScale.extra_find_scales``).
        ``size`` is the size the finding view fits into (``PlateScale.find_scale``); ``plate_scale``
        changes any other ``PlateScale`` field (e.g. ``{"view_read_confidence": 0.9}``);
        ``read_widenings`` the views the plate reader reads each board from (``PlateReader``);
        ``board_edges`` whether boards read are outlined to their painted edge."""
        test_cfg = self.model.test_cfg
        if score_threshold is not None:
            test_cfg.rcnn.score_thr = self.score_threshold = score_threshold
        if rpn_proposals is not None:
            test_cfg.rpn.max_per_img = rpn_proposals
            test_cfg.rpn.nms_pre = max(rpn_proposals * 3, test_cfg.rpn.nms_pre)
        if rpn_nms_pre is not None:
            test_cfg.rpn.nms_pre = rpn_nms_pre
        if roi_align not in (None, "mmcv", "torchvision"):
            raise ValueError(f"roi_align={roi_align!r}: expected 'mmcv' or 'torchvision'")
        roi_head = self.model.roi_head
        extractors = [roi_head.bbox_roi_extractor] + ([roi_head.mask_roi_extractor] if roi_head.with_mask else [])
        for layer in (layer for extractor in extractors for layer in extractor.roi_layers):
            if roi_sampling_ratio is not None:
                layer.sampling_ratio = roi_sampling_ratio
            if roi_align is not None:
                layer.use_torchvision = roi_align == "torchvision"
        if max_detections is not None:
            test_cfg.rcnn.max_per_img = max_detections
        if size is not None:
            self.input_size = (int(size[0]), int(size[1]))
        if extra_find_scales is not None:
            plate_scale = {**(plate_scale or {}), "extra_find_scales": tuple(extra_find_scales)}
        if plate_scale:
            self.plate_scale = PlateScale.model_validate({**self.plate_scale.model_dump(), **plate_scale})
        if board_edges is not None:
            self.board_edges = board_edges
        if read_widenings is not None and self.plate_reader is not None:
            self.plate_reader.widenings = tuple(read_widenings) or (0.0,)

    def pipeline(self) -> Callable[[dict], dict]:
        """The test pipeline for in-memory images that are already at the scale to run at
        (``detect`` resizes them itself), built once: mmdet's ``inference_detector`` otherwise
        copies the whole config and rebuilds it per image."""
        if self._pipeline is None:
            from mmcv.transforms import Compose
            from mmdet.utils import get_test_pipeline_cfg

            steps = get_test_pipeline_cfg(self.model.cfg.copy())
            steps[0].type = "mmdet.LoadImageFromNDArray"
            steps = [dict(type="Resize", scale_factor=1.0, keep_ratio=True) if t["type"] == "Resize" else t
                     for t in steps]
            self._pipeline = Compose(steps)
        return self._pipeline

    def detect(self, image: np.ndarray) -> list[DetectedObject]:
        """Detections on one BGR photo (HxWx3 uint8) of any size, in its own pixel coordinates.

        Boards are found on a view of the photo at ``PlateScale.find_scale`` (and on its
        ``coarse_scales``' views: a large photo fitted into the model's input); each plate found
        is detected again on a crop of the photo that brings its board to the reading width
        (and, when that reads no valid text, at the ``retry_scales`` of that width), and those
        detections replace the view's around it; unless the plate reader reads its board in the
        view surely enough (``PlateScale.view_read_confidence``). A board read is outlined to
        its painted edge where the photo shows one (``board_edges``)."""
        height, width = image.shape[:2]
        find_scale = self.plate_scale.find_scale((width, height), self.input_size)
        view, scale = _resized(image, find_scale)
        found = self.infer(view)
        boards = [Detection(o.label, o.score, _scaled(o.bbox, scale)) for o in found if o.label in BOARD_CLASSES]
        for coarse_factor in self.plate_scale.coarse_scales((width, height), self.input_size):
            coarse, coarse_scale = _resized(image, coarse_factor)
            wide = (Detection(o.label, o.score, _scaled(o.bbox, coarse_scale)) for o in self.infer(coarse)
                    if o.label in BOARD_CLASSES)
            boards += [b for b in wide if self.plate_scale.too_wide_to_find(b, find_scale)]
        crops = self._crops(boards, (width, height))
        # only what no crop replaces is worth mapping (masks included) to the photo's pixels
        objects = self._looked_at(image, [o.mapped(scale, (0.0, 0.0), (width, height)) for o in found
                                          if not any(_inside(_scaled(o.bbox, scale), own) for _, own, _, _ in crops)])
        for region, own, factor, other_shape in crops:
            objects += (self._read_in_view(image, found, scale, own)
                        or self._read_crop(image, region, own, factor, other_shape))
        objects = _distinct(objects)
        if self.board_edges:
            objects = [_to_painted_edges(image, o) if o.label in BOARD_CLASSES and o.text else o for o in objects]
        return sorted(objects, key=lambda o: -o.score)

    def _read_in_view(self, image: np.ndarray, found: list[DetectedObject], scale: tuple[float, float], own: Box
                      ) -> list[DetectedObject]:
        """The view's detections inside ``own`` (photo pixels), when the plate reader reads one
        of their boards at ``PlateScale.view_read_confidence`` or surer: then the plate needs no
        crop (a detector pass saved); else nothing."""
        threshold = self.plate_scale.view_read_confidence
        if self.plate_reader is None or threshold is None:
            return []
        height, width = image.shape[:2]
        inside = [o.mapped(scale, (0.0, 0.0), (width, height)) for o in found if _inside(_scaled(o.bbox, scale), own)]
        objects = self._read_boards(image, inside)
        if not any(o.text and o.text_score >= threshold for o in objects):
            return []
        return self._looked_at(image, objects)

    def _read_crop(self, image: np.ndarray, region: tuple[int, int, int, int], own: Box, factor: float,
                   other_shape: tuple[tuple[int, int, int, int], float] | None = None) -> list[DetectedObject]:
        """The detections of one plate's crop (photo pixels, inside ``own``) at ``factor``, or
        at the first retry scale whose detections read a valid plate; else the same from the crop
        ``other_shape`` (region, factor) led by a board of the other shape; else the first ones."""
        height, width = image.shape[:2]
        first = None
        retries = (1.0, *self.plate_scale.retry_scales)
        tries = [(where, at * retry) for where, at in [(region, factor), *([other_shape] if other_shape else [])]
                 for retry in retries]
        for (x1, y1, x2, y2), at in tries:
            patch, patch_scale = _resized(image[y1:y2, x1:x2], at)
            mapped = (o.mapped(patch_scale, (x1, y1), (width, height)) for o in self.infer(patch))
            objects = self._read_boards(image, self._looked_at(image, [o for o in mapped if _inside(o.bbox, own)]))
            if len(tries) == 1 or any(r.valid for r in read_detected_plates(objects)):
                return objects
            first = objects if first is None else first
        return first

    def _read_boards(self, image: np.ndarray, objects: list[DetectedObject]) -> list[DetectedObject]:
        """``objects`` with every board's text as the plate reader reads it from its outline,
        when the model has a reader."""
        if self.plate_reader is None:
            return objects
        boards = [i for i, o in enumerate(objects)
                  if o.label in BOARD_CLASSES and o.score >= self.read_options.fragment_threshold]
        outlines = [objects[i].outline() or _corners(objects[i].bbox) for i in boards]
        out = list(objects)
        for i, (text, confidence) in zip(boards, self.plate_reader.read(image, outlines)):
            out[i] = replace(out[i], text=text, text_score=confidence)
        return out

    def _looked_at(self, image: np.ndarray, objects: list[DetectedObject]) -> list[DetectedObject]:
        """``objects`` after the glyph classifier's second look, when the model has one."""
        if self.glyph_classifier is None:
            return objects
        classifier = self.glyph_classifier
        return second_look(objects, lambda boxes: classifier.probabilities(image, boxes), self.score_threshold)

    def infer(self, image: np.ndarray) -> list[DetectedObject]:
        """The model's detections on ``image`` as it is (no resize), above the score threshold."""
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
        return [
            DetectedObject.from_image_mask(self.classes[int(c)], float(s), tuple(float(v) for v in b), m)
            for b, s, c, m in zip(bboxes, scores, labels, masks)
        ]

    def _crops(self, found: list[Detection | DetectedObject], size: tuple[int, int]) -> list[Crop]:
        """The plates to look at again, from the boards ``found`` (photo pixels), strongest
        first; ``other_shape`` only where that board scores ``OTHER_SHAPE_MIN_SCORE``."""
        crops = []
        boards = [o for o in found if o.label in BOARD_CLASSES and o.score >= self.read_options.fragment_threshold]
        for group in group_boards(boards, self.read_options)[:MAX_CROPS]:
            region, own, factor = self._crop(group, size)
            other = [b for b in group if b.label != group[0].label]
            other_shape = None
            if other and other[0].score >= OTHER_SHAPE_MIN_SCORE:
                other_region, _, other_factor = self._crop(other, size)
                other_shape = (other_region, other_factor)
            crops.append(Crop(region, own, factor, other_shape))
        return crops

    def _crop(self, group: list[Detection | DetectedObject], size: tuple[int, int]
              ) -> tuple[tuple[int, int, int, int], Box, float]:
        """(photo region to crop, own region, scale) of the plate the ``group``'s boards (strongest
        first, the first setting the shape) say it fills."""
        width, height = size
        ps = self.plate_scale
        shape = BOARD_CLASSES[group[0].label]
        x1, y1, x2, y2 = _plate_box(group)
        w, h = max(x2 - x1, 1.0), max(y2 - y1, 1.0)
        m = ps.crop_margin
        region = (max(int(x1 - m * w), 0), max(int(y1 - m * h), 0),
                  min(int(np.ceil(x2 + m * w)), width), min(int(np.ceil(y2 + m * h)), height))
        own = (x1 - 0.25 * w, y1 - 0.25 * h, x2 + 0.25 * w, y2 + 0.25 * h)
        return region, own, ps.target_width[shape] / w


#: a plate's crop that reads no valid plate is read again (at the same retry scales), led by the
#: strongest board of the other shape in its group, when that board scores this much: two long plates stacked (or a
#: long plate under a scene board) look like one regular plate, and a strong regular board
#: around them set the crop's scale (640x480 photos of one fresh run: 2 of its 4 misses)
OTHER_SHAPE_MIN_SCORE = 0.3

#: a group's weaker boards widen the box a plate is cropped and scaled by up to this many times
#: its strongest board's width and height (of 2311 generated plates, 2.0 read 2298, 2.5 2299, the
#: whole group's box 2289; also letting boards scoring half the strongest's widen it: 2298)
CROP_MAX_WIDEN = 2.5


def _plate_box(group: list[Detection]) -> Box:
    """The box one plate's boards (strongest first) say it fills: the strongest board's, joined
    with each weaker one in turn while that keeps within ``CROP_MAX_WIDEN`` times its width and
    height. Boards cut short join into the whole plate; a weak board boxing the plate with much
    of the scene around it does not: the union with it scaled plates far below the reading
    width, and the crop read nothing (a 60 px plate of a 640x480 photo, joined with a 430 px
    box of the scene, was read at 13 px)."""
    lead = group[0].bbox
    max_w, max_h = CROP_MAX_WIDEN * (lead[2] - lead[0]), CROP_MAX_WIDEN * (lead[3] - lead[1])
    box = lead
    for board in group[1:]:
        joined = union_box([box, board.bbox])
        if joined[2] - joined[0] <= max_w and joined[3] - joined[1] <= max_h:
            box = joined
    return box


def _distinct(objects: list[DetectedObject]) -> list[DetectedObject]:
    """``objects`` with each detection once. Neighbouring plates' regions overlap, and a plate
    read surely in the finding view (``_read_in_view``) brings every view detection in its
    region, its neighbour's too: those came out twice, each outlined and served twice."""
    seen: set[tuple] = set()
    out = []
    for o in objects:
        key = (o.label, o.score, o.bbox, o.text)
        if key not in seen:
            seen.add(key)
            out.append(o)
    return out


def _to_painted_edges(image: np.ndarray, board: DetectedObject) -> DetectedObject:
    """A board the plate reader read, its mask reaching the painted board's edge where the
    photo shows one (``painted_board``): the plate is then boxed whole, not only its text."""
    painted = painted_board(image, board.bbox)
    return board if painted is None else board.with_mask_joined(*painted)


def _resized(image: np.ndarray, scale: float) -> tuple[np.ndarray, tuple[float, float]]:
    """``image`` resized by ``scale`` (area-averaged when shrinking), and the (x, y) factors
    from its pixels back to the original's (sizes are whole pixels, so they differ slightly)."""
    height, width = image.shape[:2]
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    if size == (width, height):
        return image, (1.0, 1.0)
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    return cv2.resize(image, size, interpolation=interpolation), (width / size[0], height / size[1])


def _scaled(box: Box, scale: tuple[float, float]) -> Box:
    return box[0] * scale[0], box[1] * scale[1], box[2] * scale[0], box[3] * scale[1]


def _corners(box: Box) -> tuple[tuple[float, float], ...]:
    x1, y1, x2, y2 = box
    return (x1, y1), (x2, y1), (x2, y2), (x1, y2)


def _inside(box: Box, region: Box) -> bool:
    """Whether the box's centre lies in ``region``."""
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return region[0] <= cx <= region[2] and region[1] <= cy <= region[3]


def as_detections(objects: list[DetectedObject]) -> list[Detection]:
    """What post-processing reads: boards carry their mask outline (rotation-aware), the rest
    only boxes (outlines cost time)."""
    return [o.to_detection(with_outline=o.label in BOARD_CLASSES) for o in objects]


def read_detected_plates(objects: list[DetectedObject], options: ReadOptions = ReadOptions()) -> list[PlateReading]:
    """Post-process detector output."""
    return read_plates(as_detections(objects), options)


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
            out.append(DetectedObject(GLYPHS[c], score, lead.bbox, lead.mask, lead.mask_origin))
    return sorted(out, key=lambda o: -o.score)
