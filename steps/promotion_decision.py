"""Step: decide whether the candidate model version replaces production (same test sets)."""

from __future__ import annotations

from typing import Annotated

from zenml import get_step_context, step
from zenml.client import Client
from zenml.enums import ModelStages
from zenml.logger import get_logger

from alpr.artifacts import CocoDataset
from alpr.deployment.promotion import Decision, compare
from alpr.model.evaluate import EvaluationReport

logger = get_logger(__name__)


@step
def promotion_decision(
    evaluation: EvaluationReport, dataset: CocoDataset, force: bool = False,
    foreign_evaluation: EvaluationReport | None = None, foreign_dataset: CocoDataset | None = None,
) -> Annotated[Decision, "promotion_decision"]:
    """Compare the run's model version (its ``evaluation`` on ``dataset``'s test split and,
    when given, its ``foreign_evaluation`` on ``foreign_dataset``) with the version in
    production, scored on those same sets; ``force`` promotes regardless.

    Gives the decision; ``promote`` acts on it once the model serves."""
    candidate = get_step_context().model_version
    production = _production_version(candidate.model.name)
    candidate_metrics = evaluation.model_dump()
    production_metrics = None
    if production is not None and production.id != candidate.id:
        production_metrics = _production_metrics(production, dataset, "test")
    if foreign_evaluation is not None and foreign_dataset is not None:
        candidate_metrics["foreign_eir"] = foreign_evaluation.eir
        if production_metrics is not None:
            production_metrics["foreign_eir"] = _production_metrics(production, foreign_dataset, "foreign")["eir"]
    decision = compare(candidate_metrics, production_metrics, force=force)
    decision.candidate_version = candidate.number
    decision.production_version = production.number if production is not None else None
    logger.info("promotion: %s", decision.reason)
    return decision


def _production_version(model_name: str):
    try:
        return Client().get_model_version(model_name, ModelStages.PRODUCTION)
    except KeyError:
        return None


def _production_metrics(production, dataset: CocoDataset, name: str) -> dict[str, float]:
    """Production's scores on this very test split (logged as ``<name>_*``): from its metadata
    if it was scored on the same data, else by scoring its checkpoint now."""
    meta = production.run_metadata
    if meta.get(f"{name}_dataset_hash") == dataset.summary().content_hash:
        return {"eir": float(meta[f"{name}_eir"]), "bbox_mAP": float(meta[f"{name}_bbox_mAP"])}
    from alpr.model.detector import Detector
    from alpr.model.evaluate import evaluate_detector

    trained = production.get_artifact("trained_model").load()
    report = evaluate_detector(Detector(trained.checkpoint_uri), dataset.local_dir(), "test", progress=False)
    return report.model_dump()
