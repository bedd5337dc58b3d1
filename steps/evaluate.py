"""Step: score the trained model on the held-out test split (never seen in training)."""

from __future__ import annotations

from typing import Annotated

from zenml import get_step_context, log_metadata, step
from zenml.logger import get_logger
from zenml.types import HTMLString

from alpr.artifacts import CocoDataset, TrainedModel
from alpr.model.evaluate import EvaluationReport
from alpr.visualize import evaluation_gallery

logger = get_logger(__name__)


@step
def evaluate(
    model: TrainedModel, dataset: CocoDataset, split: str = "test", name: str = ""
) -> tuple[Annotated[EvaluationReport, "evaluation"], Annotated[HTMLString, "gallery"]]:
    """Takes the trained model and the dataset; gives COCO bbox/segm mAP, dv-mAP, EIR, plate
    precision, character accuracy and latency on ``split``, also logged on the model version
    (all) and on the pipeline run (the headline numbers) as ``<name>_<metric>`` (``name``
    defaults to the split: ``test_eir``; the foreign test set logs ``foreign_eir``); and a
    gallery of what the model read in the split's photos, worst first (shown by the dashboard)."""
    from alpr.model.detector import Detector
    from alpr.model.evaluate import evaluate_detector

    local = dataset.local_dir()
    report = evaluate_detector(Detector(model.checkpoint_uri), local, split)
    per_image = ("split", "readings", "glyph_confusion")  # in the artifact and the gallery, not metadata
    name = name or split
    metadata = {f"{name}_{k}": v for k, v in report.model_dump().items() if k not in per_image}
    metadata[f"{name}_dataset_hash"] = dataset.summary().content_hash  # what the scores were measured on
    log_metadata(metadata=metadata, infer_model=True)
    # the headline numbers on the run too: the open-source dashboard shows a run's metadata,
    # not a model version's
    headline = ("bbox_mAP", "segm_mAP", "dv_mAP", "eir", "plate_precision", "char_accuracy", "latency_p50_ms")
    log_metadata(metadata={f"{name}_{k}": metadata[f"{name}_{k}"] for k in headline},
                 run_id_name_or_prefix=get_step_context().pipeline_run.id)
    logger.info("evaluate (%s): EIR %.3f, bbox mAP %.3f, segm mAP %.3f, dv-mAP %.3f, char acc %.3f", name,
                report.eir, report.bbox_mAP, report.segm_mAP, report.dv_mAP, report.char_accuracy)
    return report, HTMLString(evaluation_gallery(str(local), split, report))
