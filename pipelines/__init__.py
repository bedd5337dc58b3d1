"""ZenML pipelines: pure compositions of steps. ``PIPELINES`` maps config names to pipelines."""

from pipelines.dataset import dataset_pipeline

PIPELINES = {"dataset": dataset_pipeline}

__all__ = ["PIPELINES", "dataset_pipeline"]
