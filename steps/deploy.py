"""Step: promote the candidate if it beats production on the same test split, then deploy it."""

from __future__ import annotations

from typing import Annotated, Any

from zenml import get_step_context, log_metadata, step
from zenml.client import Client
from zenml.enums import ModelStages

from alpr.deployment.promotion import compare
from alpr.deployment.settings import DeploySettings
from alpr.folders import CocoDataset, TrainedModel
from alpr.model.evaluate import EvaluationReport


@step
def deploy(
    model: TrainedModel, evaluation: EvaluationReport, dataset: CocoDataset, settings: DeploySettings = DeploySettings()
) -> Annotated[dict[str, Any], "deployment"]:
    candidate = get_step_context().model_version
    production = _production_version(candidate.model.name)
    production_metrics = None
    if production is not None and production.id != candidate.id:
        production_metrics = _production_metrics(production, dataset)
    decision = compare(evaluation.model_dump(), production_metrics, force=settings.force)
    print(f"deploy: {decision.reason}")
    result: dict[str, Any] = {"promoted": decision.promote, "reason": decision.reason, "target": settings.target,
                              "model_version": candidate.number}
    if not decision.promote:
        if production is not None:
            result["serving_version"] = production.number
        return result
    client = Client()
    client.update_model_version(candidate.model.id, candidate.id, stage=ModelStages.PRODUCTION, force=True)
    result.update(_deploy(model, str(candidate.number), settings))
    log_metadata(metadata={"deployment": result}, infer_model=True)
    print(f"deployed model version {candidate.number} at {result['url']}")
    return result


def _deploy(model: TrainedModel, version: str, settings: DeploySettings) -> dict[str, Any]:
    if settings.target == "local":
        from alpr.deployment.local import LocalDeployer

        record = LocalDeployer().deploy(settings.name, model.checkpoint_uri, model_version=version,
                                        port=settings.port, workers=settings.workers)
        return {"url": record.predict_url, "name": record.name}
    from kubernetes import client as k8s_client, config as k8s_config

    from alpr.deployment.kubernetes import SeldonSpec, apply_seldon_deployment, predictions_url, render_seldon_deployment

    k = settings.kubernetes
    spec = SeldonSpec(name=settings.name, model_uri=model.uri, image=k.image, namespace=k.namespace,
                      model_version=version, replicas=k.replicas, storage_secret=k.storage_secret,
                      workers=settings.workers, ingress_host=k.ingress_host)
    try:
        k8s_config.load_incluster_config()
    except k8s_config.ConfigException:
        k8s_config.load_kube_config()
    apply_seldon_deployment(k8s_client.CustomObjectsApi(), render_seldon_deployment(spec), timeout=k.timeout_s)
    return {"url": predictions_url(spec), "name": settings.name, "namespace": k.namespace}


def _production_version(model_name: str):
    try:
        return Client().get_model_version(model_name, ModelStages.PRODUCTION)
    except KeyError:
        return None


def _production_metrics(production, dataset: CocoDataset) -> dict[str, float]:
    """Production's scores on this very test split: from its metadata if it was scored on the
    same data, else by scoring its checkpoint now."""
    meta = production.run_metadata
    if meta.get("test_dataset_hash") == dataset.summary().content_hash:
        return {"eir": float(meta["test_eir"]), "bbox_mAP": float(meta["test_bbox_mAP"])}
    from alpr.model.detector import Detector
    from alpr.model.evaluate import evaluate_detector

    trained = production.get_artifact("trained_model").load()
    report = evaluate_detector(Detector(trained.checkpoint_uri), dataset.local_dir(), "test", progress=False)
    return report.model_dump()
