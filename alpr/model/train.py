"""Train the detector through the mmengine Runner and write the self-describing checkpoint."""

from __future__ import annotations

import json
import logging
import resource
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from alpr.model.checkpoint import Checkpoint, library_versions, save_checkpoint
from alpr.model.training_config import TrainParams, build_config
from alpr.model.glyph_classifier import train_glyph_classifier
from alpr.model.plate_reader import train_plate_reader

log = logging.getLogger(__name__)
CHECKPOINT_NAME = "model.pth"


@dataclass
class TrainResult:
    checkpoint: Path
    params: TrainParams  # as used: every setting left None filled from the model config
    tensorboard_dir: Path | None
    val_metrics: dict[str, float]
    wall_time_s: float
    peak_rss_mb: float
    iterations: int  # detector iterations run (fewer than params.max_iters when a time budget stopped it)
    detector_train_s: float  # the detector's share of wall_time_s (runner start-up included)


def train_detector(params: TrainParams, dataset_dir: Path, out_dir: Path) -> TrainResult:
    """Train on ``dataset_dir`` (a merged COCO folder); outputs go to ``out_dir``."""
    from mmdet.utils import register_all_modules
    from mmengine.runner import Runner

    register_all_modules()
    out_dir.mkdir(parents=True, exist_ok=True)
    work_dir = out_dir / "work"
    cfg, params = build_config(params, str(dataset_dir), str(work_dir))
    run_id = uuid.uuid4().hex[:8]  # mmengine keeps global logger/visualizer instances by name
    cfg.experiment_name = f"alpr-{run_id}"
    cfg.visualizer.name = f"visualizer-{run_id}"
    cfg.default_hooks.checkpoint = None  # our own checkpoint below; none of mmengine's pickles
    validate = params.validate_at_end
    if not validate and not _has_images(dataset_dir, "val"):
        # mmengine builds the validation loop (and its dataset) even when it never runs, and an
        # empty dataset fails there: a run that does not validate needs no val split
        cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    # validate once, explicitly, after training (mmengine's loop would also validate at its last
    # iteration whatever the interval: val_begin past the end stops that)
    cfg.train_cfg.val_interval = cfg.train_cfg.val_begin = params.max_iters + 1
    started = time.perf_counter()
    runner = Runner.from_cfg(cfg)
    runner.train()
    detector_s = time.perf_counter() - started
    val_metrics: dict[str, float] = {}
    if validate:
        val_metrics = {k: float(v) for k, v in runner.val_loop.run().items()}
    glyphs = train_glyph_classifier(dataset_dir, params.glyphs) if params.glyphs.enabled else None
    if glyphs is not None:  # reported with the detector's validation metrics (and so in ZenML)
        val_metrics.update({f"glyphs/{k}": v for k, v in glyphs.metrics.items() if k.startswith("val_")})
    reader = train_plate_reader(dataset_dir, params.reader) if params.reader.enabled else None
    if reader is not None:
        val_metrics.update({f"reader/{k}": v for k, v in reader.metrics.items() if k.startswith("val_")})
    wall = time.perf_counter() - started
    state = {k: v for k, v in runner.model.state_dict().items()}
    checkpoint = out_dir / CHECKPOINT_NAME
    save_checkpoint(
        Checkpoint(
            state_dict=state,
            config_text=cfg.pretty_text,
            params=params.model_dump(),
            metrics={"val": val_metrics, "train_wall_time_s": wall, "detector_train_s": detector_s,
                     "train_iterations": runner.iter},
            versions=library_versions(),
            glyphs=glyphs,
            reader=reader,
        ),
        str(checkpoint),
    )
    tb = next(work_dir.rglob("vis_data"), None)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    log.info("trained %d iterations in %.0f s (peak RSS %.0f MB); checkpoint %s", runner.iter, wall, peak, checkpoint)
    return TrainResult(checkpoint, params, tb, val_metrics, wall, peak, runner.iter, detector_s)


def _has_images(dataset_dir: Path, split: str) -> bool:
    path = Path(dataset_dir) / "annotations" / f"{split}.json"
    return path.exists() and bool(json.loads(path.read_text()).get("images"))
