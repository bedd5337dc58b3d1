"""The SeldonDeployment we send to Kubernetes, and the client calls (stub API object: no cluster here)."""

from __future__ import annotations

import pytest
from kubernetes.client.exceptions import ApiException

from alpr.deployment.kubernetes import (
    GROUP, PLURAL, VERSION, SeldonSpec, apply_seldon_deployment, predictions_url, render_seldon_deployment,
)

SPEC = SeldonSpec(name="alpr", model_uri="gs://alpr-artifacts/train/trained_model/abc", image="europe-docker.pkg.dev/p/alpr-seldon:0.1.0",
                  namespace="serving", model_version="12", replicas=2, storage_secret="gcs-creds", workers=2,
                  ingress_host="ingress.example")


def test_graph_is_output_transformer_over_model() -> None:
    m = render_seldon_deployment(SPEC)
    assert m["apiVersion"] == "machinelearning.seldon.io/v1" and m["kind"] == "SeldonDeployment"
    assert m["metadata"] == {"name": "alpr", "namespace": "serving",
                             "labels": {"app.kubernetes.io/managed-by": "alpr", "alpr/model-version": "12"}}
    (predictor,) = m["spec"]["predictors"]
    assert predictor["replicas"] == 2
    graph = predictor["graph"]
    assert (graph["name"], graph["type"]) == ("plate-reader", "OUTPUT_TRANSFORMER")
    (child,) = graph["children"]
    assert (child["name"], child["type"], child["children"]) == ("plate-detector", "MODEL", [])
    assert child["modelUri"] == "gs://alpr-artifacts/train/trained_model/abc"
    assert child["envSecretRefName"] == "gcs-creds"
    assert graph["endpoint"] == child["endpoint"] == {"type": "REST"}


def test_containers_images_env_resources_probes() -> None:
    m = render_seldon_deployment(SPEC)
    containers = {c["name"]: c for c in m["spec"]["predictors"][0]["componentSpecs"][0]["spec"]["containers"]}
    assert set(containers) == {"plate-detector", "plate-reader"}  # one container per graph node, same names
    for c in containers.values():
        assert c["image"] == SPEC.image
        assert c["readinessProbe"]["httpGet"]["path"] == "/health/ping"
        assert c["livenessProbe"]["httpGet"]["port"] == "http"
    env = {c: {e["name"]: e["value"] for e in containers[c]["env"]} for c in containers}
    assert env["plate-detector"] == {"MODEL_NAME": "PlateDetector", "SERVICE_TYPE": "MODEL", "GUNICORN_WORKERS": "2",
                                     "MODEL_URI": "/mnt/models/model.pth", "ALPR_TORCH_THREADS": "1",
                                     "ALPR_MODEL_NAME": "alpr-detector",
                                     "ALPR_MODEL_VERSION": "12"}
    assert env["plate-reader"] == {"MODEL_NAME": "PlateReader", "SERVICE_TYPE": "TRANSFORMER", "GUNICORN_WORKERS": "1"}
    assert containers["plate-detector"]["resources"]["limits"] == {"cpu": "2", "memory": "4Gi"}
    assert containers["plate-reader"]["resources"]["requests"] == {"cpu": "250m", "memory": "512Mi"}
    assert predictions_url(SPEC) == "http://ingress.example/seldon/serving/alpr/api/v1.0/predictions"


class StubCustomObjectsApi:
    """Records calls; answers like the API server (404 before create, then states in order)."""

    def __init__(self, exists: bool, states: list[str]):
        self.exists, self.states, self.calls = exists, list(states), []

    def get_namespaced_custom_object(self, group, version, namespace, plural, name):
        self.calls.append(("get", group, version, namespace, plural, name))
        if not self.exists:
            raise ApiException(status=404, reason="Not Found")
        state = self.states.pop(0) if len(self.states) > 1 else self.states[0]
        return {"metadata": {"name": name}, "status": {"state": state, "description": "boom" if state == "Failed" else ""}}

    def create_namespaced_custom_object(self, group, version, namespace, plural, body):
        self.calls.append(("create", group, version, namespace, plural, body["metadata"]["name"]))
        self.exists = True

    def patch_namespaced_custom_object(self, group, version, namespace, plural, name, body):
        self.calls.append(("patch", group, version, namespace, plural, name))


def test_apply_creates_when_missing_and_waits_for_available() -> None:
    api = StubCustomObjectsApi(exists=False, states=["Creating", "Creating", "Available"])
    obj = apply_seldon_deployment(api, render_seldon_deployment(SPEC), poll=0)
    assert obj["status"]["state"] == "Available"
    assert api.calls[0] == ("get", GROUP, VERSION, "serving", PLURAL, "alpr")
    assert api.calls[1] == ("create", GROUP, VERSION, "serving", PLURAL, "alpr")
    assert [c[0] for c in api.calls[2:]] == ["get", "get", "get"]


def test_apply_patches_when_present_and_reports_failure() -> None:
    api = StubCustomObjectsApi(exists=True, states=["Available", "Failed"])
    with pytest.raises(RuntimeError, match="failed: boom"):
        apply_seldon_deployment(api, render_seldon_deployment(SPEC), poll=0)
    assert ("patch", GROUP, VERSION, "serving", PLURAL, "alpr") in api.calls
    assert not any(c[0] == "create" for c in api.calls)


def test_apply_times_out() -> None:
    api = StubCustomObjectsApi(exists=True, states=["Creating"])
    with pytest.raises(TimeoutError, match="not Available"):
        apply_seldon_deployment(api, render_seldon_deployment(SPEC), timeout=0.05, poll=0.01)
