"""Typed training parameters and the mmengine config they produce."""

from __future__ import annotations

import copy
from pathlib import Path

from pydantic import BaseModel, Field, model_validator

from alpr.classes import CLASS_NAMES
from alpr.model.glyph_classifier import GlyphParams
from alpr.model.plate_reader import ReaderParams
from alpr.project import PROJECT_ROOT

MODEL_CONFIG_DIR = PROJECT_ROOT / "configs" / "model"


class TrainParams(BaseModel):
    """What a training run may change. Every setting left None keeps the value of the model
    config (configs/model/<model>.py), so a leaf config overrides only what differs from its
    base and means what it says; ``resolve_params`` gives the values a run actually uses."""

    model: str = "default"  # configs/model/<model>.py, or a path to an mmengine config
    max_iters: int | None = Field(None, ge=1)
    batch_size: int | None = Field(None, ge=1)
    lr: float | None = Field(None, gt=0)
    weight_decay: float | None = Field(None, ge=0)
    warmup_iters: int | None = Field(None, ge=0)
    #: (width, height) a photo's finding view fits into (alpr/model/plate_scale.py)
    image_size: tuple[int, int] | None = None
    #: (width, height) of the training window around one plate (BoardCrop)
    train_crop: tuple[int, int] | None = None
    embed_dims: int | None = Field(None, ge=8)  # backbone width
    depths: list[int] | None = None  # Swin stage depths, 4 numbers
    seed: int = 0
    validate_at_end: bool = True
    log_interval: int = Field(10, ge=1)
    #: stop training after this many seconds, whatever ``max_iters`` says (a machine lent for
    #: minutes); None: run every iteration
    time_budget_s: float | None = Field(None, gt=0)
    #: the second-look glyph classifier trained after the detector (alpr/model/glyph_classifier.py)
    glyphs: GlyphParams = GlyphParams()
    #: the plate reader trained after the detector (alpr/model/plate_reader.py)
    reader: ReaderParams = ReaderParams()

    @model_validator(mode="after")
    def _check(self) -> "TrainParams":
        if self.depths is not None and len(self.depths) != 4:
            raise ValueError(f"depths needs 4 stage depths, got {self.depths}")
        if self.embed_dims is not None and self.embed_dims % 8:
            raise ValueError(f"embed_dims must be a multiple of 8, got {self.embed_dims}")
        return self


def model_config_path(model: str) -> Path:
    path = Path(model)
    if path.suffix != ".py":
        path = MODEL_CONFIG_DIR / f"{model}.py"
    if not path.exists():
        known = ", ".join(sorted(p.stem for p in MODEL_CONFIG_DIR.glob("*.py") if p.stem != "base"))
        raise FileNotFoundError(f"model config {path} not found (known: {known})")
    return path


def resolve_params(params: TrainParams, cfg) -> TrainParams:
    """``params`` with every setting left None read from the model config ``cfg``."""
    train_windows = [t for t in cfg.train_pipeline if t["type"] == "BoardCrop"]
    from_config = {
        "max_iters": cfg.train_cfg.max_iters,
        "batch_size": cfg.train_dataloader.batch_size,
        "lr": cfg.optim_wrapper.optimizer.lr,
        "weight_decay": cfg.optim_wrapper.optimizer.weight_decay,
        "warmup_iters": next((s["end"] for s in cfg.param_scheduler if s["type"] == "LinearLR"), 0),
        "image_size": tuple(next(t["scale"] for t in cfg.test_pipeline if t["type"] == "Resize")),
        "train_crop": tuple(train_windows[0]["crop_size"]) if train_windows else None,
        "embed_dims": cfg.model.backbone.embed_dims,
        "depths": list(cfg.model.backbone.depths),
    }
    return params.model_copy(update={k: v for k, v in from_config.items() if getattr(params, k) is None})


def build_config(params: TrainParams, data_root: str, work_dir: str):
    """The full mmengine Config of one run: model file + parameters + data paths, and the
    parameters it uses (``resolve_params``)."""
    from mmengine.config import Config

    cfg = Config.fromfile(str(model_config_path(params.model)))
    backbone = cfg.model.backbone
    if params.embed_dims is not None and params.embed_dims != backbone.embed_dims:
        backbone.embed_dims = params.embed_dims
        backbone.num_heads = [max(1, params.embed_dims * 2**i // 32) for i in range(4)]
        cfg.model.neck.in_channels = [params.embed_dims * 2**i for i in range(4)]
    params = resolve_params(params, cfg)
    backbone.depths = list(params.depths)

    metainfo = dict(classes=tuple(CLASS_NAMES))
    root = str(Path(data_root).resolve()) + "/"
    for loader in ("train_dataloader", "val_dataloader", "test_dataloader"):
        cfg[loader].dataset.data_root = root
        cfg[loader].dataset.metainfo = metainfo
    cfg.test_dataloader = copy.deepcopy(cfg.val_dataloader)
    cfg.test_dataloader.dataset.ann_file = "annotations/test.json"
    cfg.test_evaluator = copy.deepcopy(cfg.val_evaluator)
    for evaluator, split in ((cfg.val_evaluator, "val"), (cfg.test_evaluator, "test")):
        for metric in evaluator if isinstance(evaluator, list) else [evaluator]:
            metric["ann_file"] = f"{root}annotations/{split}.json"
    cfg.train_dataloader.batch_size = params.batch_size

    for pipeline in (cfg.train_pipeline, cfg.test_pipeline, cfg.train_dataloader.dataset.pipeline,
                     cfg.val_dataloader.dataset.pipeline, cfg.test_dataloader.dataset.pipeline):
        for t in pipeline:
            if t["type"] == "Resize":
                t["scale"] = tuple(params.image_size)
            if t["type"] == "PlateScaleResize":
                t["fit_size"] = tuple(params.image_size)
            if t["type"] == "BoardCrop" and params.train_crop is not None:
                t["crop_size"] = tuple(params.train_crop)

    cfg.optim_wrapper.optimizer.lr = params.lr
    cfg.optim_wrapper.optimizer.weight_decay = params.weight_decay
    warmup = max(min(params.warmup_iters, params.max_iters - 1), 1)
    cfg.param_scheduler = [
        dict(type="LinearLR", start_factor=0.01, by_epoch=False, begin=0, end=warmup),
        dict(type="CosineAnnealingLR", by_epoch=False, begin=warmup, end=max(params.max_iters, 2),
             eta_min_ratio=0.05),
    ]
    val_interval = params.max_iters if params.validate_at_end else params.max_iters + 1
    cfg.train_cfg = dict(type="IterBasedTrainLoop", max_iters=params.max_iters, val_interval=val_interval)
    cfg.default_hooks.checkpoint = dict(type="CheckpointHook", interval=params.max_iters, by_epoch=False,
                                        save_last=True, max_keep_ckpts=1, save_optimizer=False)
    cfg.default_hooks.logger = dict(type="LoggerHook", interval=params.log_interval)
    if params.time_budget_s is not None:
        cfg.custom_hooks = [*cfg.get("custom_hooks", []), dict(type="TimeBudgetHook", seconds=params.time_budget_s)]
    cfg.randomness = dict(seed=params.seed, deterministic=True)
    cfg.work_dir = work_dir
    return cfg, params
