"""A Mask R-CNN RoI head that computes masks for chosen classes only (a test-time lever).

Reading plates needs the outline of boards only; pasting a full-image mask for every glyph
is most of what a detection costs after the box head. Evaluation (segm mAP, dv-mAP) needs
every mask, so this is for serving: ``Detector(mask_classes=...)``. The weights are those of
``StandardRoIHead``; other classes get empty masks.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from mmdet.models.roi_heads import StandardRoIHead
from mmdet.registry import MODELS


@MODELS.register_module()
class PartialMaskRoIHead(StandardRoIHead):
    def __init__(self, *args, mask_labels: Sequence[int] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.mask_labels = list(mask_labels)

    def predict_mask(self, x, batch_img_metas, results_list, rescale: bool = False):
        wanted = [torch.isin(r.labels, torch.as_tensor(self.mask_labels, device=r.labels.device)) for r in results_list]
        masked = super().predict_mask(x, batch_img_metas, [r[k] for r, k in zip(results_list, wanted)], rescale)
        for result, keep, part, meta in zip(results_list, wanted, masked, batch_img_metas):
            masks = part.masks.new_zeros((len(result), *part.masks.shape[1:]))
            masks[keep] = part.masks
            result.masks = masks
            if rescale:  # the mask head scales the boxes it sees back to the input image; the rest too
                result.bboxes = result.bboxes / result.bboxes.new_tensor(meta["scale_factor"]).repeat((1, 2))
            result.bboxes[keep] = part.bboxes
        return results_list
