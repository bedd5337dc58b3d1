"""Deploy a trained model to the target its settings name: local processes or Kubernetes.

The one dispatch shared by the pipeline's ``deploy`` step and ``run.py deploy``."""

from __future__ import annotations

from typing import Any

from alpr.artifacts import TrainedModel
from alpr.deployment.settings import DeploySettings


def deploy_model(model: TrainedModel, version: str, settings: DeploySettings) -> dict[str, Any]:
    """Serve ``model`` (model version ``version``) as ``settings`` say; returns where it answers:
    ``url`` (the predictions endpoint), ``name``, locally ``grpc`` (host:port of Seldon's gRPC API,
    when served) and, on Kubernetes, ``namespace``."""
    if settings.target == "local":
        from alpr.deployment.local import LocalDeployer

        record = LocalDeployer().deploy(settings.name, model.checkpoint_uri, model_version=version,
                                        port=settings.port, workers=settings.workers, host=settings.host,
                                        grpc_port=settings.grpc_port)
        return {"url": record.predict_url, "name": record.name, **({"grpc": record.grpc_endpoint} if record.grpc_port else {})}
    return _deploy_kubernetes(model, version, settings)


def _deploy_kubernetes(model: TrainedModel, version: str, settings: DeploySettings) -> dict[str, Any]:
    from kubernetes import client, config

    from alpr.deployment.kubernetes import (
        SeldonSpec,
        apply_seldon_deployment,
        predictions_url,
        render_seldon_deployment,
    )

    k = settings.kubernetes
    spec = SeldonSpec(name=settings.name, model_uri=model.uri, image=k.image, namespace=k.namespace,
                      model_version=version, replicas=k.replicas, storage_secret=k.storage_secret,
                      workers=settings.workers, ingress_host=k.ingress_host)
    try:  # inside a pod (a Kubeflow step), else the user's kubeconfig
        config.load_incluster_config()
    except config.ConfigException:
        config.load_kube_config()
    apply_seldon_deployment(client.CustomObjectsApi(), render_seldon_deployment(spec), timeout=k.timeout_s)
    return {"url": predictions_url(spec), "name": settings.name, "namespace": k.namespace}
