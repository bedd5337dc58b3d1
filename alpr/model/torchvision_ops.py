"""mmcv's compiled ops that our Mask R-CNN needs (NMS, RoIAlign), from torchvision's kernels.

mmcv ships its ops as a C++/CUDA extension (``mmcv._ext``) built against one torch and one CUDA.
A machine whose torch has no matching mmcv build and no network to build one (a lent GPU
machine, say) can still train and run the detector: torchvision, built with that very torch,
has both ops for CPU and CUDA with the same arithmetic (both follow Detectron2's RoIAlign).
``install`` puts a stand-in for ``mmcv._ext`` in place before ``mmcv.ops`` is first imported;
every other mmcv op stays importable and names itself in the error if it is ever called.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
import types

import torch

#: the mmcv ops the stand-in implements (what Mask R-CNN with a Swin backbone calls)
PROVIDED = ("nms", "roi_align_forward", "roi_align_backward")
_AVG_POOL = 1  # mmcv's pool_mode code for 'avg' ('max' is 0; mmdet's RoIAlign layers average)


def nms(bboxes: torch.Tensor, scores: torch.Tensor, iou_threshold: float, offset: int = 0) -> torch.Tensor:
    """Indices kept, by decreasing score (mmcv's ``nms``; ``offset`` 1: boxes one pixel wider)."""
    import torchvision

    if offset:
        bboxes = torch.cat([bboxes[:, :2], bboxes[:, 2:] + offset], dim=1)
    return torchvision.ops.nms(bboxes.float(), scores.float(), float(iou_threshold))


def roi_align_forward(input, rois, output, argmax_y, argmax_x, *, aligned_height, aligned_width,
                      spatial_scale, sampling_ratio, pool_mode, aligned) -> None:
    """mmcv's ``roi_align_forward``: pools ``input`` over ``rois`` (index, x1, y1, x2, y2) into ``output``."""
    _check_avg(pool_mode)
    _torchvision_loaded()
    output.copy_(torch.ops.torchvision.roi_align(input, rois, float(spatial_scale), int(aligned_height),
                                                 int(aligned_width), int(sampling_ratio), bool(aligned)))


def roi_align_backward(grad_output, rois, argmax_y, argmax_x, grad_input, *, aligned_height, aligned_width,
                       spatial_scale, sampling_ratio, pool_mode, aligned) -> None:
    """mmcv's ``roi_align_backward``: the gradient with respect to the input, into ``grad_input``
    (RoIAlign is linear in its input, so it needs only the RoIs and the input's shape)."""
    _check_avg(pool_mode)
    _torchvision_loaded()
    n, c, h, w = grad_input.shape
    grad_input.copy_(torch.ops.torchvision._roi_align_backward(
        grad_output, rois, float(spatial_scale), int(aligned_height), int(aligned_width), n, c, h, w,
        int(sampling_ratio), bool(aligned)))


def _check_avg(pool_mode: int) -> None:
    if pool_mode != _AVG_POOL:
        raise NotImplementedError("RoIAlign with max pooling: torchvision's RoIAlign only averages")


def _torchvision_loaded() -> None:
    import torchvision  # noqa: F401  registers torch.ops.torchvision


def _missing(name: str):
    if name.startswith("_"):  # module machinery (__file__, __path__...) is not an op
        raise AttributeError(name)

    def op(*_args, **_kwargs):
        raise NotImplementedError(f"mmcv op {name!r} needs mmcv's compiled extension, which this machine lacks; "
                                  f"alpr.model.torchvision_ops provides only {', '.join(PROVIDED)}")
    op.__name__ = name
    return op


def stand_in() -> types.ModuleType:
    """A module that answers for ``mmcv._ext``: the ops of ``PROVIDED``, and for any other
    name a function that raises (mmcv checks at import time that its ops' names exist)."""
    module = types.ModuleType("mmcv._ext", "mmcv's ops nms and roi_align from torchvision (alpr.model.torchvision_ops)")
    for name in PROVIDED:
        setattr(module, name, globals()[name])
    module.PROVIDED_BY = __name__  # type: ignore[attr-defined]
    # no loader: mmengine's "is full mmcv installed" probe then answers no, as it should
    module.__spec__ = importlib.machinery.ModuleSpec("mmcv._ext", None, origin=__file__)
    module.__getattr__ = _missing  # type: ignore[attr-defined]  (PEP 562: any other op)
    return module


def has_compiled_ops() -> bool:
    """Whether mmcv was installed with its compiled extension."""
    if getattr(sys.modules.get("mmcv._ext"), "PROVIDED_BY", None) == __name__:
        return False
    return importlib.util.find_spec("mmcv._ext") is not None


def install(force: bool = False) -> str:
    """Use torchvision's kernels for mmcv's ops where mmcv has no compiled extension (or always,
    with ``force``); gives back which ops mmcv will run: "compiled" or "torchvision". Must run
    before ``mmcv.ops`` (and so mmdet's models) is first imported."""
    import mmcv

    if getattr(sys.modules.get("mmcv._ext"), "PROVIDED_BY", None) == __name__:
        return "torchvision"  # installed before
    if not force and has_compiled_ops():
        return "compiled"
    if "mmcv.ops" in sys.modules:
        raise RuntimeError("mmcv.ops was imported before alpr.model.torchvision_ops.install(): too late to replace its ops")
    module = stand_in()
    sys.modules["mmcv._ext"] = module
    mmcv._ext = module  # type: ignore[attr-defined]
    return "torchvision"
