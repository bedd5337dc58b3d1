"""SeldonDeployment on Kubernetes: OUTPUT_TRANSFORMER (plate reader) -> MODEL (detector).

ZenML's own Seldon deployer builds single-node graphs only, so the two-node graph is rendered
here as plain data and applied with the Kubernetes Python client (create, or patch when it
exists), then polled until Seldon reports it ``Available``.

The model node's ``modelUri`` is the trained-model folder on the artifact store; Seldon's
storage initializer copies it (with the credentials of ``envSecretRefName``) to
``/mnt/models`` in the pod, where the detector loads ``model.pth``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from alpr.model import MODEL_NAME

GROUP, VERSION, PLURAL = "machinelearning.seldon.io", "v1", "seldondeployments"
MODEL_NODE, TRANSFORMER_NODE = "plate-detector", "plate-reader"


@dataclass
class SeldonSpec:
    name: str
    model_uri: str  # folder holding model.pth, e.g. gs://bucket/artifacts/.../trained_model/<id>
    image: str
    namespace: str = "seldon"
    model_version: str = ""
    replicas: int = 1
    storage_secret: str = "alpr-gcs-credentials"
    model_resources: dict[str, dict[str, str]] = field(
        default_factory=lambda: {"requests": {"cpu": "2", "memory": "3Gi"}, "limits": {"cpu": "2", "memory": "4Gi"}}
    )
    transformer_resources: dict[str, dict[str, str]] = field(
        default_factory=lambda: {"requests": {"cpu": "250m", "memory": "512Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}}
    )
    workers: int = 1
    ingress_host: str = "localhost"
    model_name: str = MODEL_NAME  # what responses name the served model


def render_seldon_deployment(spec: SeldonSpec) -> dict[str, Any]:
    """The SeldonDeployment manifest as a dict (what ``kubectl apply`` would send)."""
    labels = {"app.kubernetes.io/managed-by": "alpr", "alpr/model-version": str(spec.model_version or "none")}

    def container(node: str, interface: str, service_type: str, resources: dict, extra_env: list[dict]) -> dict:
        return {
            "name": node,
            "image": spec.image,
            "imagePullPolicy": "IfNotPresent",
            "env": [
                {"name": "MODEL_NAME", "value": interface},  # the Seldon image's entry point
                {"name": "SERVICE_TYPE", "value": service_type},
                {"name": "GUNICORN_WORKERS", "value": str(spec.workers if node == MODEL_NODE else 1)},
                *extra_env,
            ],
            "resources": resources,
            "readinessProbe": _probe(initial_delay=20 if node == MODEL_NODE else 5),
            "livenessProbe": _probe(initial_delay=60 if node == MODEL_NODE else 15, period=10, failures=6),
        }

    cpus = _cpu_count(spec.model_resources.get("limits", {}).get("cpu", "1"))
    model_env = [
        {"name": "MODEL_URI", "value": "/mnt/models/model.pth"},
        {"name": "ALPR_TORCH_THREADS", "value": str(max(1, cpus // spec.workers))},
        {"name": "ALPR_MODEL_NAME", "value": spec.model_name},
        {"name": "ALPR_MODEL_VERSION", "value": str(spec.model_version)},
    ]
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "SeldonDeployment",
        "metadata": {"name": spec.name, "namespace": spec.namespace, "labels": labels},
        "spec": {
            "name": spec.name,
            "protocol": "seldon",
            "predictors": [
                {
                    "name": "default",
                    "replicas": spec.replicas,
                    "labels": labels,
                    "graph": {
                        "name": TRANSFORMER_NODE,
                        "type": "OUTPUT_TRANSFORMER",
                        "endpoint": {"type": "REST"},
                        "children": [
                            {
                                "name": MODEL_NODE,
                                "type": "MODEL",
                                "endpoint": {"type": "REST"},
                                "modelUri": spec.model_uri,
                                "envSecretRefName": spec.storage_secret,
                                "children": [],
                            }
                        ],
                    },
                    "componentSpecs": [
                        {
                            "spec": {
                                "containers": [
                                    container(MODEL_NODE, "PlateDetector", "MODEL", spec.model_resources, model_env),
                                    container(TRANSFORMER_NODE, "PlateReader", "TRANSFORMER",
                                              spec.transformer_resources, []),
                                ]
                            }
                        }
                    ],
                }
            ],
        },
    }


def predictions_url(spec: SeldonSpec) -> str:
    return f"http://{spec.ingress_host}/seldon/{spec.namespace}/{spec.name}/api/v1.0/predictions"


def apply_seldon_deployment(api, manifest: dict[str, Any], timeout: float = 600.0, poll: float = 5.0) -> dict:
    """Create or patch the SeldonDeployment with a ``kubernetes.client.CustomObjectsApi``; wait until
    its status is ``Available`` (raise on ``Failed`` or time-out). Returns the final object."""
    from kubernetes.client.exceptions import ApiException

    name, namespace = manifest["metadata"]["name"], manifest["metadata"]["namespace"]
    try:
        api.get_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, name)
        exists = True
    except ApiException as exc:
        if exc.status != 404:
            raise
        exists = False
    if exists:
        api.patch_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, name, manifest)
    else:
        api.create_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, manifest)
    deadline = time.monotonic() + timeout
    while True:
        obj = api.get_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, name)
        state = (obj.get("status") or {}).get("state")
        if state == "Available":
            return obj
        if state == "Failed":
            raise RuntimeError(f"SeldonDeployment {namespace}/{name} failed: {(obj.get('status') or {}).get('description')}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"SeldonDeployment {namespace}/{name} not Available after {timeout:.0f} s (state {state})")
        time.sleep(poll)


def _cpu_count(quantity: str) -> int:
    """Whole CPUs of a Kubernetes CPU quantity ("2", "1500m")."""
    q = str(quantity)
    return int(q[:-1]) // 1000 if q.endswith("m") else int(float(q))


def _probe(initial_delay: int, period: int = 5, failures: int = 3) -> dict:
    return {
        "httpGet": {"path": "/health/ping", "port": "http", "scheme": "HTTP"},
        "initialDelaySeconds": initial_delay,
        "periodSeconds": period,
        "failureThreshold": failures,
        "timeoutSeconds": 2,
    }
