"""Benchmark: the static part of the detector (Swin backbone + FPN) in ONNX Runtime next to
eager PyTorch, at the input sizes serving feeds it, in one process, interleaved run by run;
and where the time of a whole detector pass goes.

    .venv/bin/python -m bench.static_export CHECKPOINT [--sizes 384x288 384x224 192x128] [--runs 20]

For each size (width x height, as the network sees it after resizing and padding): exports
backbone + neck to ONNX (traced at that size: Swin's window padding is fixed by the trace, so
each size is its own graph), checks the outputs against eager on a generated photo (max
absolute difference), then times both, and the whole eager `Detector.infer` at that size, so
the share of time the static part takes is in the same table, and where the rest of a pass
goes, module by module. Prints one JSON document.
Default sizes: the finding view of a 640x480 and of a 16:9 photo, and a typical plate crop.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import torch


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoint")
    p.add_argument("--sizes", nargs="+", default=["384x288", "384x224", "192x128"])
    p.add_argument("--runs", type=int, default=20)
    args = p.parse_args()

    import onnxruntime

    from alpr.classes import BOARD_CLASSES
    from alpr.model.detector import Detector
    from alpr.synth import SynthOptions
    from alpr.synth.generate import image_rng
    from alpr.synth.scene import render_scene

    detector = Detector(args.checkpoint, mask_classes=list(BOARD_CLASSES))
    static = StaticPart(detector.model).eval()
    photo = render_scene(image_rng(4242, 0), SynthOptions(image_sizes=[(640, 480)])).image
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()
    # ONNX Runtime's threads otherwise spin after each run, taking the cores from the eager run
    # that follows (eager then measures twice as slow: an artefact of the side-by-side, not of eager)
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for size in args.sizes:
            width, height = (int(v) for v in size.split("x"))
            path = Path(folder) / f"static-{size}.onnx"
            view = cv2.resize(photo, (width, height), interpolation=cv2.INTER_AREA)
            example = _network_input(detector, view)
            started = time.perf_counter()
            torch.onnx.export(static, (example,), str(path), opset_version=17, dynamo=False, input_names=["image"])
            export_s = time.perf_counter() - started
            session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
            with torch.inference_mode():
                eager_out = static(example)
            onnx_out = session.run(None, {"image": example.numpy()})
            diff = max(float(np.abs(o - e.numpy()).max()) for o, e in zip(onnx_out, eager_out))
            eager, onnx = [], []
            for _ in range(args.runs):
                x = torch.randn_like(example)
                eager.append(_timed(lambda: static(x), inference=True))
                onnx.append(_timed(lambda: session.run(None, {"image": x.numpy()})))
            eager_ms, onnx_ms = (float(np.median(t)) * 1000 for t in (eager, onnx))
            stages = _stage_times(detector, view, args.runs)  # apart: the two thread pools slow each other
            infer_ms = stages.pop("total")
            rows.append({"size": size, "export_s": round(export_s, 1), "max_abs_diff": diff,
                         "eager_static_ms": round(eager_ms, 1), "onnx_static_ms": round(onnx_ms, 1),
                         "onnx_vs_eager": round(onnx_ms / eager_ms, 2), "eager_infer_ms": round(infer_ms, 1),
                         "static_share_of_infer": round(eager_ms / infer_ms, 2),
                         "infer_ms_by_stage": stages})
    print(json.dumps({"checkpoint": args.checkpoint, "threads": torch.get_num_threads(), "runs": args.runs,
                      "onnxruntime": onnxruntime.__version__, "torch": torch.__version__, "sizes": rows}, indent=1))


class StaticPart(torch.nn.Module):
    """Backbone + neck as one module: image tensor in, FPN levels out (what is exported)."""

    def __init__(self, model):
        super().__init__()
        self.backbone, self.neck = model.backbone, model.neck

    def forward(self, image):
        return tuple(self.neck(self.backbone(image)))


#: the detector's modules, in the order a pass runs them; the rest of a pass (NMS, box and mask
#: post-processing, the data pipeline) is ``other``
STAGES = ("backbone", "neck", "rpn_head", "roi_head.bbox_roi_extractor", "roi_head.bbox_head",
          "roi_head.mask_roi_extractor", "roi_head.mask_head")


def _stage_times(detector, view: np.ndarray, runs: int) -> dict[str, float]:
    """Median milliseconds of each module in ``Detector.infer(view)`` (forward hooks), the
    rest of the pass as ``other``, and the whole pass as ``total``."""
    spent: dict[str, list[float]] = {name: [] for name in (*STAGES, "other", "total")}
    started: dict[str, float] = {}
    handles = []
    for name in STAGES:
        module = detector.model.get_submodule(name)
        handles.append(module.register_forward_pre_hook(lambda *_, n=name: started.__setitem__(n, time.perf_counter())))
        handles.append(module.register_forward_hook(
            lambda *_, n=name: spent[n].append(time.perf_counter() - started[n])))
    try:
        for _ in range(runs):
            counts = {name: len(spent[name]) for name in STAGES}
            total = _timed(lambda: detector.infer(view))
            in_stages = sum(sum(spent[name][counts[name]:]) for name in STAGES)
            spent["other"].append(total - in_stages)
            spent["total"].append(total)
            for name in STAGES:  # a module called several times in a pass counts once, summed
                calls = spent[name][counts[name]:]
                del spent[name][counts[name]:]
                spent[name].append(sum(calls))
    finally:
        for handle in handles:
            handle.remove()
    return {name: round(float(np.median(times)) * 1000, 1) for name, times in spent.items() if times}


def _network_input(detector, view: np.ndarray) -> torch.Tensor:
    """``view`` normalized as the model's data preprocessor does: the tensor the backbone sees."""
    tensor = torch.from_numpy(np.ascontiguousarray(view.transpose(2, 0, 1)))
    return detector.model.data_preprocessor({"inputs": [tensor]}, False)["inputs"].contiguous()


def _timed(run, inference: bool = False) -> float:
    started = time.perf_counter()
    if inference:
        with torch.inference_mode():
            run()
    else:
        run()
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
