"""Step: serve the candidate model if the promotion decision says so."""

from __future__ import annotations

from typing import Annotated, Any

from zenml import log_metadata, step
from zenml.logger import get_logger

from alpr.artifacts import TrainedModel
from alpr.deployment.promotion import Decision
from alpr.deployment.settings import DeploySettings
from alpr.deployment.targets import deploy_model

logger = get_logger(__name__)


@step(enable_cache=False)  # a cached deploy would report a service that may no longer run
def deploy(
    model: TrainedModel, decision: Decision, settings: DeploySettings = DeploySettings()
) -> Annotated[dict[str, Any], "deployment"]:
    """Deploy ``model`` to ``settings.target`` (local processes or a SeldonDeployment) when
    ``decision`` promotes it; otherwise the current deployment stays.

    Gives what was decided and, when deployed, where the model answers (``url``, ``name``)."""
    result: dict[str, Any] = {"promoted": decision.promote, "reason": decision.reason, "target": settings.target,
                              "model_version": decision.candidate_version}
    if not decision.promote:
        if decision.production_version is not None:
            result["serving_version"] = decision.production_version
        logger.info("deploy: nothing to do (%s)", decision.reason)
        return result
    result.update(deploy_model(model, str(decision.candidate_version), settings))
    log_metadata(metadata={"deployment": result}, infer_model=True)
    logger.info("deployed model version %s at %s", decision.candidate_version, result["url"])
    return result
