"""Step: train the Swin Mask R-CNN on the train split; output the model folder artifact."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Annotated

from zenml import ArtifactConfig, log_metadata, step
from zenml.enums import ArtifactType
from zenml.logger import get_logger

from alpr.artifacts import CocoDataset, TrainedModel
from alpr.model.training_config import TrainParams
from steps.materializers import FolderMaterializer

logger = get_logger(__name__)


@step(output_materializers=FolderMaterializer)
def train(
    dataset: CocoDataset, params: TrainParams = TrainParams()
) -> Annotated[TrainedModel, ArtifactConfig(name="trained_model", artifact_type=ArtifactType.MODEL)]:
    """Takes the dataset and the training parameters (None: the model config's value); gives
    the trained model folder: ``model.pth`` (self-describing), ``tensorboard/``, ``metrics.json``."""
    from alpr.model.train import train_detector

    out = Path(tempfile.mkdtemp(prefix="alpr-model-"))
    result = train_detector(params, dataset.local_dir(), out)
    if result.tensorboard_dir is not None:
        shutil.copytree(result.tensorboard_dir, out / "tensorboard")
    shutil.rmtree(out / "work", ignore_errors=True)  # mmengine's scratch: logs kept in tensorboard/
    metrics = {
        "val": result.val_metrics,
        "train_wall_time_s": round(result.wall_time_s, 1),
        "peak_rss_mb": round(result.peak_rss_mb, 1),
        "params": result.params.model_dump(),
    }
    (out / "metrics.json").write_text(json.dumps(metrics, indent=1))
    log_metadata(metadata=metrics, infer_model=True)
    logger.info("trained %d iterations in %.0f s; val %s", result.params.max_iters, result.wall_time_s,
                result.val_metrics)
    return TrainedModel(uri=str(out), origin=dataset.origin, ephemeral=True)
