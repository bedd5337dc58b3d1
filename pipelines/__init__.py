"""ZenML pipelines: pure compositions of steps. ``PIPELINES`` maps config names to pipelines."""

from pipelines.batch import batch_pipeline
from pipelines.dataset import dataset_pipeline
from pipelines.training import training_pipeline

PIPELINES = {"batch": batch_pipeline, "dataset": dataset_pipeline, "training": training_pipeline}

__all__ = ["PIPELINES", "batch_pipeline", "dataset_pipeline", "training_pipeline"]
