"""ZenML's Kubeflow orchestrator, with GPU requests that reach the pods.

ZenML 0.98's Kubeflow settings rebuild ``pod_settings`` from two legacy keys (``node_selectors``,
``node_affinity``) each time they are validated, and settings are validated several times on
their way to KFP (component config, run config, each step): a ``node_selectors.accelerator``
(the GPU resource name, the one pod setting KFP 2.x takes) is gone before the pipeline is
compiled, so no step ever asks for a GPU. This flavor (``alpr_kubeflow``) keeps the pod settings
it is given and only folds the legacy keys into them when they are present; everything else is
ZenML's orchestrator unchanged.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, model_validator
from zenml.integrations.kubeflow.flavors.kubeflow_orchestrator_flavor import (
    KubeflowOrchestratorConfig,
    KubeflowOrchestratorFlavor,
    KubeflowOrchestratorSettings,
)
from zenml.integrations.kubeflow.orchestrators import KubeflowOrchestrator

FLAVOR = "alpr_kubeflow"


def _keep_pod_settings(cls, data: Any) -> Any:
    """Pod settings as given, with legacy top-level ``node_selectors`` folded in."""
    if not isinstance(data, dict):
        return data
    data = dict(data)
    node_selectors = data.pop("node_selectors", None) or {}
    if data.pop("node_affinity", None):
        raise ValueError("node_affinity does not reach pods on KFP 2.x: set node_selectors.accelerator only")
    if node_selectors:
        pod = data.get("pod_settings") or {}
        pod = pod.model_dump(exclude_unset=True) if isinstance(pod, BaseModel) else dict(pod)
        pod["node_selectors"] = {**(pod.get("node_selectors") or {}), **node_selectors}
        data["pod_settings"] = pod
    if (data.get("client_username") is None) != (data.get("client_password") is None):
        raise ValueError("`client_username` and `client_password` both need to be set together.")
    return data


class AlprKubeflowOrchestratorSettings(KubeflowOrchestratorSettings):
    _validate_and_migrate_pod_settings = model_validator(mode="before")(classmethod(_keep_pod_settings))


class AlprKubeflowOrchestratorConfig(KubeflowOrchestratorConfig):
    _validate_and_migrate_pod_settings = model_validator(mode="before")(classmethod(_keep_pod_settings))


class AlprKubeflowOrchestrator(KubeflowOrchestrator):
    @property
    def settings_class(self) -> type[AlprKubeflowOrchestratorSettings]:
        return AlprKubeflowOrchestratorSettings


class AlprKubeflowOrchestratorFlavor(KubeflowOrchestratorFlavor):
    @property
    def name(self) -> str:
        return FLAVOR

    @property
    def config_class(self) -> type[AlprKubeflowOrchestratorConfig]:
        return AlprKubeflowOrchestratorConfig

    @property
    def implementation_class(self) -> type[AlprKubeflowOrchestrator]:
        return AlprKubeflowOrchestrator
