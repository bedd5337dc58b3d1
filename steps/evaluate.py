"""Step: score the trained model on the held-out test split (never seen in training)."""

from __future__ import annotations

from typing import Annotated

from zenml import log_metadata, step

from alpr.folders import CocoDataset, TrainedModel
from alpr.model.evaluate import EvaluationReport


@step
def evaluate(
    model: TrainedModel, dataset: CocoDataset, split: str = "test"
) -> Annotated[EvaluationReport, "evaluation"]:
    from alpr.model.detector import Detector
    from alpr.model.evaluate import evaluate_detector

    report = evaluate_detector(Detector(model.checkpoint_uri), dataset.local_dir(), split)
    metadata = {f"{split}_{k}": v for k, v in report.model_dump().items() if k != "split"}
    metadata[f"{split}_dataset_hash"] = dataset.summary().content_hash  # what the scores were measured on
    log_metadata(metadata=metadata, infer_model=True)
    print(f"evaluate ({split}): EIR {report.eir:.3f}, bbox mAP {report.bbox_mAP:.3f}, "
          f"segm mAP {report.segm_mAP:.3f}, dv-mAP {report.dv_mAP:.3f}, char acc {report.char_accuracy:.3f}")
    return report
