"""The GPU benchmark runs end to end on the CPU with tiny numbers, and what it relies on where
mmcv has no compiled ops (torchvision's NMS and RoIAlign) computes what mmcv's own ops do."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from alpr.model import torchvision_ops
from alpr.project import PROJECT_ROOT


def _rois(rng: np.random.Generator, n: int, size: tuple[int, int], batch: int) -> torch.Tensor:
    """Boxes (index, x1, y1, x2, y2) of every size, some past the image's edge, a few degenerate."""
    w, h = size
    x1, y1 = rng.uniform(-10, w, n), rng.uniform(-10, h, n)
    bw, bh = rng.exponential(w / 6, n), rng.exponential(h / 6, n)
    bw[:5] = 0.0  # zero-width boxes
    return torch.tensor(np.stack([rng.integers(0, batch, n), x1, y1, x1 + bw, y1 + bh], 1), dtype=torch.float32)


@pytest.mark.parametrize("sampling_ratio", [0, 2])
@pytest.mark.parametrize("aligned", [True, False])
def test_roi_align_matches_mmcv(sampling_ratio: int, aligned: bool) -> None:
    from mmcv.ops import roi_align

    rng = np.random.default_rng(sampling_ratio + 10 * aligned)
    features = torch.randn(2, 16, 40, 56, dtype=torch.float32, requires_grad=True)
    rois = _rois(rng, 300, (56 * 4, 40 * 4), 2)
    spatial_scale, size = 0.25, (7, 7)

    expected = roi_align(features, rois, size, spatial_scale, sampling_ratio, "avg", aligned)
    got = torch.zeros_like(expected)
    settings = dict(aligned_height=7, aligned_width=7, spatial_scale=spatial_scale, sampling_ratio=sampling_ratio,
                    pool_mode=1, aligned=aligned)
    torchvision_ops.roi_align_forward(features.detach(), rois, got, None, None, **settings)
    assert expected.abs().sum() > 0
    torch.testing.assert_close(got, expected.detach(), rtol=1e-5, atol=1e-5)

    grad_out = torch.randn_like(expected)
    (expected_grad,) = torch.autograd.grad(expected, features, grad_out)
    got_grad = torch.zeros_like(features)
    torchvision_ops.roi_align_backward(grad_out, rois, None, None, got_grad, **settings)
    assert expected_grad.abs().sum() > 0
    torch.testing.assert_close(got_grad, expected_grad, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("offset", [0, 1])
def test_nms_matches_mmcv(offset: int) -> None:
    from mmcv.ops import nms

    rng = np.random.default_rng(offset)
    xy = rng.uniform(0, 300, (500, 2))
    boxes = torch.tensor(np.concatenate([xy, xy + rng.uniform(2, 60, (500, 2))], 1), dtype=torch.float32)
    scores = torch.tensor(rng.uniform(0, 1, 500), dtype=torch.float32)
    for iou in (0.3, 0.5, 0.7):
        _, expected = nms(boxes, scores, iou, offset=offset)
        got = torchvision_ops.nms(boxes, scores, iou, offset=offset)
        assert 10 < len(expected) < 500
        assert got.tolist() == expected.tolist()


def test_stand_in_names_what_it_lacks() -> None:
    module = torchvision_ops.stand_in()
    assert hasattr(module, "nms") and hasattr(module, "deform_conv_forward")  # mmcv checks names at import
    with pytest.raises(NotImplementedError, match="deform_conv_forward.*provides only nms"):
        module.deform_conv_forward()
    with pytest.raises(NotImplementedError, match="max pooling"):
        torchvision_ops.roi_align_forward(torch.zeros(1, 1, 4, 4), torch.zeros(1, 5), torch.zeros(1, 1, 2, 2), None,
                                          None, aligned_height=2, aligned_width=2, spatial_scale=1.0,
                                          sampling_ratio=0, pool_mode=0, aligned=True)


def test_time_budget_stops_training(tiny_dataset: Path, tiny_params, tmp_path: Path) -> None:
    from alpr.model.train import train_detector

    result = train_detector(tiny_params.model_copy(update={"max_iters": 500, "time_budget_s": 2.0,
                                                            "validate_at_end": False}), tiny_dataset, tmp_path)
    assert 1 <= result.iterations < 500
    assert result.detector_train_s < result.wall_time_s


def test_gpu_check_runs_on_cpu_with_torchvision_ops(tmp_path: Path) -> None:
    """The command a lent GPU machine runs, on the CPU with tiny numbers and mmcv's compiled ops
    replaced (as on a machine where mmcv has none): every number it reports comes out."""
    out = tmp_path / "report.json"
    run = subprocess.run(
        [sys.executable, "-m", "bench.gpu_check", "--device", "cpu", "--torchvision-ops", "--iters", "2",
         "--train-images", "8", "--test-images", "3", "--latency-runs", "3", "--out", str(tmp_path / "work"),
         "--json", str(out)],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(out.read_text())
    assert run.stdout.rstrip().endswith(out.read_text().rstrip())  # printed last, as written
    assert report["mmcv_ops"] == "torchvision" and report["model"] == "full"
    assert report["training"]["iterations"] == 2 and report["training"]["batch_size"] == 8
    assert report["training"]["s_per_iteration"] > 0
    assert report["accuracy"]["images"] == 3 and report["accuracy"]["true_plates"] > 0
    assert 0 <= report["accuracy"]["eir"] <= 1
    latency = report["latency_640x480"]
    assert latency["runs"] == 3 and 0 < latency["p50_ms"] <= latency["p95_ms"] * 1.0001
    assert latency["p50_vs_target"] == round(latency["p50_ms"] / 15.0, 2)
    assert report["look"] == "classic" and report["fonts"]  # the default pipeline's look (configs/training.yaml)
