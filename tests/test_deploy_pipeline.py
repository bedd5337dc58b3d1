"""Training pipeline ending in deploy: promotion by the Model Control Plane, real local serving."""

from __future__ import annotations

import base64
import json
import urllib.request
from pathlib import Path

import pytest

from alpr.deployment.local import free_ports


@pytest.fixture()
def pipeline_args(tmp_path: Path) -> dict:
    from alpr.model.training_config import TrainParams

    return dict(
        data={"synth_images": 10, "synth_seed": 4, "catalog_url": f"sqlite:///{tmp_path / 'c.db'}",
              "split": {"train": 0.6, "val": 0.2, "test": 0.2}},
        train_params=TrainParams(max_iters=2, batch_size=1, image_size=(320, 240), embed_dims=16, warmup_iters=1),
        foreign_test={"images": 2, "seed": 4},
    )


def test_deploy_promotes_first_keeps_tie_and_force_redeploys(pipeline_args: dict, tiny_dataset: Path) -> None:
    from zenml.client import Client
    from zenml.enums import ExecutionStatus, ModelStages

    from alpr.deployment.local import LocalDeployer
    from pipelines import training_pipeline
    from alpr.model import MODEL_NAME
    from stacks import ensure_stack

    ensure_stack("local")
    client = Client()
    port, grpc_port = free_ports(2)
    settings = {"enabled": True, "target": "local", "name": "alpr-test", "port": port, "grpc_port": grpc_port}
    try:
        first = training_pipeline.with_options(enable_cache=False)(**pipeline_args, deploy_settings=settings)
        first = client.get_pipeline_run(first.id)
        assert first.status == ExecutionStatus.COMPLETED
        result = first.steps["deploy"].outputs["deployment"][0].load()
        assert result["promoted"] and result["url"] == f"http://127.0.0.1:{port}/api/v1.0/predictions"
        assert result["grpc"] == f"127.0.0.1:{grpc_port}"
        production = client.get_model_version(MODEL_NAME, ModelStages.PRODUCTION)
        assert production.number == first.model_version.number

        image = next((tiny_dataset / "images").glob("*.jpg")).read_bytes()
        req = urllib.request.Request(result["url"], data=json.dumps({"binData": base64.b64encode(image).decode()}).encode(),
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=120) as resp:
            doc = json.loads(resp.read())
        assert doc["jsonData"]["model"] == {"name": MODEL_NAME, "version": str(first.model_version.number)}

        # the same data and an equally untrained model: a tie, production stays
        second = training_pipeline.with_options(enable_cache=False)(**pipeline_args, deploy_settings=settings)
        kept = client.get_pipeline_run(second.id).steps["deploy"].outputs["deployment"][0].load()
        assert not kept["promoted"] and "production stays" in kept["reason"] and "url" not in kept
        assert "foreign" in kept["reason"]  # both test sets weighed
        assert kept["serving_version"] == first.model_version.number
        assert client.get_model_version(MODEL_NAME, ModelStages.PRODUCTION).number == first.model_version.number

        forced = training_pipeline.with_options(enable_cache=False)(
            **pipeline_args, deploy_settings={**settings, "force": True})
        forced_run = client.get_pipeline_run(forced.id)
        out = forced_run.steps["deploy"].outputs["deployment"][0].load()
        assert out["promoted"] and out["reason"] == "forced"
        assert client.get_model_version(MODEL_NAME, ModelStages.PRODUCTION).number == forced_run.model_version.number
        assert LocalDeployer().status("alpr-test")["model_version"] == str(forced_run.model_version.number)

        # stopped by hand, then the same pipeline with caching: the deploy step is never taken from cache
        LocalDeployer().stop("alpr-test")
        cached = training_pipeline.with_options(enable_cache=True)(
            **pipeline_args, deploy_settings={**settings, "force": True})
        cached_run = client.get_pipeline_run(cached.id)
        assert cached_run.steps["deploy"].status == ExecutionStatus.COMPLETED
        assert LocalDeployer().status("alpr-test")["ready"]
        production_number = client.get_model_version(MODEL_NAME, ModelStages.PRODUCTION).number
        _cli_deploy_predict_stop(tiny_dataset, production_number)
    finally:
        LocalDeployer().stop("alpr-test")
        LocalDeployer().stop("alpr-cli")


def _cli_deploy_predict_stop(tiny_dataset: Path, production_number: int) -> None:
    """run.py's deployment commands, as a user types them (same ZenML state)."""
    import subprocess
    import sys

    from alpr.project import PROJECT_ROOT

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "run.py", *args], cwd=PROJECT_ROOT, capture_output=True, text=True,
                              timeout=300)

    port, grpc_port = map(str, free_ports(2))
    out = run("deploy", "--name", "alpr-cli", "--port", port, "--grpc-port", grpc_port)
    assert out.returncode == 0, out.stderr[-2000:]
    assert (f"v{production_number} serving at http://127.0.0.1:{port}/api/v1.0/predictions, gRPC at "
            f"127.0.0.1:{grpc_port}") in out.stdout
    image = str(next((tiny_dataset / "images").glob("*.jpg")))
    out = run("predict", image, "--name", "alpr-cli")
    assert out.returncode == 0, out.stderr[-2000:]
    assert f"(model alpr-detector v{production_number})" in out.stdout
    status = run("status", "--name", "alpr-cli")
    assert '"ready": true' in status.stdout and f'"grpc": "127.0.0.1:{grpc_port}"' in status.stdout
    assert "stopped" in run("stop", "--name", "alpr-cli").stdout
    gone = run("predict", image, "--name", "alpr-cli")
    assert gone.returncode == 1 and "no local deployment 'alpr-cli'" in gone.stderr
    outside = run("deploy", "--name", "../x", "--port", port)
    assert outside.returncode == 1 and "invalid --name '../x'" in outside.stderr
