"""Step: read every photo of a folder or bucket prefix with one model (and pre-label them)."""

from __future__ import annotations

from typing import Annotated

from zenml import log_metadata, step
from zenml.logger import get_logger

from alpr.batch import BatchParams, BatchReadings, read_photos, source_files
from alpr.classes import BOARD_CLASSES
from alpr.model import MODEL_NAME
from steps.materializers import BatchReadingsMaterializer

logger = get_logger(__name__)


@step(enable_cache=False, output_materializers={"readings": BatchReadingsMaterializer})
# never cached: the photos may have changed, and pre-labelling writes files
def batch_predict(params: BatchParams) -> Annotated[BatchReadings, "readings"]:
    """Loads the model once (``params.model_uri``, else the registered ``params.model_version``)
    and reads every photo under ``params.source`` as the served model does (outlines of boards
    only); gives every photo's plates and every skipped file with the reason."""
    from alpr.model.detector import Detector
    from pipelines.report import trained_model_version

    source_files(params.source)  # a missing source fails before the model loads
    if params.model_uri:
        uri, model = params.model_uri, {"name": MODEL_NAME, "version": "", "uri": params.model_uri}
    else:
        trained, number = trained_model_version(params.model_version)
        uri, model = trained.checkpoint_uri, {"name": MODEL_NAME, "version": str(number), "uri": trained.checkpoint_uri}
    detector = Detector(uri, mask_classes=list(BOARD_CLASSES))
    readings = read_photos(detector, params.source, model, prelabel=params.prelabel,
                           overwrite_labels=params.overwrite_labels)
    summary = readings.summary()
    log_metadata(metadata={"batch": {**summary, "source": params.source, "model_version": model["version"]}})
    logger.info("batch %s: %s", params.source, ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in summary.items()))
    for skipped in readings.skipped:
        logger.warning("skipped %s: %s", skipped.file, skipped.reason)
    return readings
