"""Step: set the candidate model version's stage to production, as decided."""

from __future__ import annotations

from typing import Any

from zenml import get_step_context, step
from zenml.client import Client
from zenml.enums import ModelStages
from zenml.logger import get_logger

from alpr.deployment.promotion import Decision

logger = get_logger(__name__)


@step
def promote(decision: Decision, deployment: dict[str, Any]) -> None:
    """Mark the run's model version ``production`` when ``decision`` promotes it. Runs after
    ``deploy`` (it takes its ``deployment``), so the stage changes only once the model serves."""
    if not decision.promote:
        return
    candidate = get_step_context().model_version
    Client().update_model_version(candidate.model.id, candidate.id, stage=ModelStages.PRODUCTION, force=True)
    logger.info("model version %s is now in production (%s)", candidate.number, deployment.get("url", ""))
