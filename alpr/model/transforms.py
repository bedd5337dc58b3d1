"""Training-time data transforms registered with mmdetection (imported by the model configs).

Training on 2 CPU cores is bound by the number of pixels the backbone sees; most pixels of a
scene are background. ``BoardCrop`` trains on a window around one plate instead of the whole
scene: ~2.4x the iterations per CPU minute at 320x256 out of 512x384 (docs/results.md).
``PlateScaleResize`` brings photos of any size to the scales the detector reads and finds at.
The network is fully convolutional, so it still runs on whole scenes at test time.
"""

from __future__ import annotations

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.datasets.transforms import RandomCrop, Resize
from mmdet.registry import TRANSFORMS
from PIL import ExifTags, Image

from alpr.classes import BOARD_CLASSES, CLASS_NAMES
from alpr.model.plate_scale import PlateScale


@TRANSFORMS.register_module()
class BoardCrop(RandomCrop):
    """Crop a (width, height) window that holds one randomly chosen plate board whole.

    The window's position is random among those that contain the board, so plates appear
    anywhere in it and other plates may be cut at its edge; a board larger than the window
    widens (heightens) the window to fit it with a small margin. Instances cut so that less than ``min_visible`` of their box stays inside
    are dropped; the rest are clipped, masks included (mmdet's RandomCrop does the cropping).
    """

    def __init__(self, crop_size: tuple[int, int], min_visible: float = 0.6, margin: int = 8, **kwargs) -> None:
        width, height = crop_size
        super().__init__(crop_size=(height, width), crop_type="absolute", allow_negative_crop=True,
                         recompute_bbox=True, bbox_clip_border=True, **kwargs)
        self.min_visible = min_visible
        self.margin = margin
        self.board_labels = np.array([CLASS_NAMES.index(name) for name in BOARD_CLASSES])
        self._offset: tuple[int, int] = (0, 0)

    def _rand_offset(self, margin: tuple[int, int]) -> tuple[int, int]:
        return self._offset

    def transform(self, results: dict) -> dict | None:
        img_h, img_w = results["img"].shape[:2]
        crop_h, crop_w = self.crop_size
        boxes = results["gt_bboxes"].numpy()
        boards = np.flatnonzero(np.isin(results["gt_bboxes_labels"], self.board_labels))
        if len(boards) == 0:  # nothing to centre on: a plain random window
            crop_h, crop_w = min(crop_h, img_h), min(crop_w, img_w)
            self._offset = (np.random.randint(0, img_h - crop_h + 1), np.random.randint(0, img_w - crop_w + 1))
        else:
            x1, y1, x2, y2 = boxes[np.random.choice(boards)]
            crop_w = min(max(crop_w, int(np.ceil(x2 - x1)) + 2 * self.margin), img_w)
            crop_h = min(max(crop_h, int(np.ceil(y2 - y1)) + 2 * self.margin), img_h)
            self._offset = (_window_start(y1, y2, crop_h, img_h), _window_start(x1, x2, crop_w, img_w))
        oy, ox = self._offset
        inter_w = np.clip(np.minimum(boxes[:, 2], ox + crop_w) - np.maximum(boxes[:, 0], ox), 0, None)
        inter_h = np.clip(np.minimum(boxes[:, 3], oy + crop_h) - np.maximum(boxes[:, 1], oy), 0, None)
        area = np.maximum((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]), 1e-6)
        keep = inter_w * inter_h / area >= self.min_visible
        _select(results, keep)
        return self._crop_data(results, (crop_h, crop_w), allow_negative_crop=True)


def _window_start(lo: float, hi: float, window: int, size: int) -> int:
    """A random start of a window of length ``window`` in [0, size) that covers [lo, hi)."""
    first = int(np.ceil(hi)) - window  # smallest start that still reaches hi
    last = int(np.floor(lo))  # largest start that still begins before lo
    first, last = max(first, 0), min(last, size - window)
    if first > last:  # longer than the image allows: centre on it
        return int(np.clip(round((lo + hi - window) / 2), 0, size - window))
    return int(np.random.randint(first, last + 1))


def _select(results: dict, keep: np.ndarray) -> None:
    results["gt_bboxes"] = results["gt_bboxes"][keep]
    results["gt_bboxes_labels"] = results["gt_bboxes_labels"][keep]
    if results.get("gt_ignore_flags") is not None:
        results["gt_ignore_flags"] = results["gt_ignore_flags"][keep]
    if results.get("gt_masks") is not None:
        results["gt_masks"] = results["gt_masks"][np.flatnonzero(keep)]


@TRANSFORMS.register_module()
class LoadPhotoSize(BaseTransform):
    """Read a photo's size from its header only; ``PlateScaleResize`` decodes it later, at the
    reduced resolution it needs (a 4K JPEG decodes 3-8x faster at a half or a quarter)."""

    def transform(self, results: dict) -> dict:
        with Image.open(results["img_path"]) as image:
            width, height = image.size
            if image.getexif().get(ExifTags.Base.Orientation) in (5, 6, 7, 8):  # OpenCV decodes it turned
                width, height = height, width
        results["img"] = None
        results["img_shape"] = results["ori_shape"] = (height, width)
        return results


#: JPEG decoding at 1/k resolution (libjpeg scales in the DCT: much faster than decoding whole)
_REDUCED = ((8, cv2.IMREAD_REDUCED_COLOR_8), (4, cv2.IMREAD_REDUCED_COLOR_4), (2, cv2.IMREAD_REDUCED_COLOR_2))


@TRANSFORMS.register_module()
class PlateScaleResize(Resize):
    """Resize a training photo to one of the two scales the detector works at
    (``alpr/model/plate_scale.py``), whatever the photo's own size:

    - reading (probability ``read_fraction``): a randomly chosen board gets a width drawn from
      its shape's reading range, as the crops of ``Detector.detect`` bring plates to;
    - finding: the photo's finding view (fitted into ``fit_size``, never below the finding
      scale), jittered by up to ``jitter``, as ``Detector.detect`` first sees a photo.

    After ``LoadPhotoSize`` the photo is decoded here, at the smallest resolution that still
    holds that scale. Glyphs and number areas left smaller than ``min_part_height`` pixels, and
    boards narrower than ``min_board_width``, are dropped: nothing reads them at that size."""

    def __init__(self, fit_size: tuple[int, int], read_fraction: float = 0.6, jitter: float = 0.3,
                 min_part_height: float = 7.0, min_board_width: float = 14.0, plate_scale: dict | None = None) -> None:
        super().__init__(scale_factor=1.0, keep_ratio=False)
        self.fit_size = tuple(fit_size)
        self.read_fraction = read_fraction
        self.jitter = jitter
        self.min_part_height = min_part_height
        self.min_board_width = min_board_width
        self.plate_scale = PlateScale.model_validate(plate_scale or {})
        self.boards = {CLASS_NAMES.index(name): shape for name, shape in BOARD_CLASSES.items()}

    def transform(self, results: dict) -> dict:
        height, width = results["img_shape"]
        factor = self._factor(results, width, height)
        size = (max(1, round(width * factor)), max(1, round(height * factor)))
        image = results["img"] if results.get("img") is not None else _decode(results["img_path"], factor)
        if (image.shape[1], image.shape[0]) != size:
            shrink = image.shape[1] > size[0]
            image = cv2.resize(image, size, interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)
        results["img"] = image
        results["img_shape"] = image.shape[:2]
        results["scale_factor"] = (size[0] / width, size[1] / height)
        results["keep_ratio"] = True
        self._resize_bboxes(results)
        self._resize_masks(results)
        self._record_homography_matrix(results)
        boxes = results["gt_bboxes"].numpy()
        is_board = np.isin(results["gt_bboxes_labels"], list(self.boards))
        keep = np.where(is_board, boxes[:, 2] - boxes[:, 0] >= self.min_board_width,
                        boxes[:, 3] - boxes[:, 1] >= self.min_part_height)
        _select(results, keep)
        return results

    def _factor(self, results: dict, width: int, height: int) -> float:
        boxes = results["gt_bboxes"].numpy()
        labels = results["gt_bboxes_labels"]
        boards = [i for i, label in enumerate(labels) if int(label) in self.boards]
        if boards and np.random.rand() < self.read_fraction:
            i = boards[np.random.randint(len(boards))]
            lo, hi = self.plate_scale.read_width[self.boards[int(labels[i])]]
            factor = np.random.uniform(lo, hi) / max(boxes[i, 2] - boxes[i, 0], 1.0)
        else:
            factor = self.plate_scale.find_scale((width, height), self.fit_size)
            factor *= np.random.uniform(1 - self.jitter, 1 + self.jitter)
        return float(np.clip(factor, 0.05, 4.0))


def _decode(path: str, factor: float) -> np.ndarray:
    """The photo at ``path`` decoded at the smallest 1/k resolution not below ``factor``."""
    flag = next((f for k, f in _REDUCED if 1 / k >= factor), cv2.IMREAD_COLOR)
    image = cv2.imread(path, flag)
    if image is None:
        raise FileNotFoundError(f"{path}: missing or not an image")
    return image
