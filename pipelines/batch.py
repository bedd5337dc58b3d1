"""The batch pipeline: read every photo of a folder or bucket prefix (and pre-label them)."""

from __future__ import annotations

from zenml import pipeline

from alpr.batch import BatchParams
from steps import batch_predict


@pipeline(name="batch")
def batch_pipeline(batch: BatchParams) -> None:
    """Reads the photos under ``batch.source`` with one model version (production unless
    ``batch.model_version`` or ``batch.model_uri`` say otherwise); gives the readings (JSON,
    CSV, summary) and, with ``batch.prelabel``, a labelme file beside each photo."""
    batch_predict(params=batch)
