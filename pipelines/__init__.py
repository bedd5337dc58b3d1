"""ZenML pipelines: pure compositions of steps. ``PIPELINES`` maps config names to pipelines."""

from pipelines.dataset import dataset_pipeline
from pipelines.training import training_pipeline

PIPELINES = {"dataset": dataset_pipeline, "training": training_pipeline}

__all__ = ["PIPELINES", "dataset_pipeline", "training_pipeline"]
