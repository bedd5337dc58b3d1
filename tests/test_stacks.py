"""Stack definitions: variables checked before anything is registered, nothing half-registered,
remote stacks refused on a local ZenML store, and the dataset pipeline on the `gcs` stack
(ZenML's GCP artifact store on a real GCS API, gcp-storage-emulator)."""

from __future__ import annotations

import warnings

import pytest

KUBEFLOW_VARIABLES = ("ALPR_KFP_HOST", "ALPR_GCS_BUCKET", "ALPR_CONTAINER_REGISTRY", "ALPR_PIPELINE_IMAGE")


def _component_names() -> set[str]:
    from zenml.client import Client

    return {c.name for c in Client().list_stack_components(size=1000).items}


def test_a_stack_names_every_missing_variable_and_registers_nothing(monkeypatch, tmp_path) -> None:
    import os
    import subprocess
    import sys

    from alpr.project import PROJECT_ROOT

    env = {k: v for k, v in os.environ.items() if k not in KUBEFLOW_VARIABLES}
    env.update(ALPR_KFP_HOST="https://kubeflow.example.com/pipeline", ZENML_CONFIG_PATH=str(tmp_path / "zen"))
    done = subprocess.run([sys.executable, "run.py", "--stack", "kubeflow", "--config", "dataset.yaml"],
                          cwd=PROJECT_ROOT, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert ("kubeflow.yaml needs these environment variables, not set: ALPR_CONTAINER_REGISTRY, ALPR_GCS_BUCKET, ALPR_PIPELINE_IMAGE"
            in done.stderr), done.stderr[-2000:]
    assert "must reach a ZenML server" in done.stderr  # every problem at once


def test_a_remote_stack_is_refused_on_a_local_store(monkeypatch) -> None:
    from stacks import StackError, ensure_stack

    for var in KUBEFLOW_VARIABLES:
        monkeypatch.setenv(var, "x")
    before = _component_names()
    with pytest.raises(StackError, match="must reach a ZenML server.*zenml login"):
        ensure_stack("kubeflow")
    assert _component_names() == before


def test_optional_settings_left_empty_are_unset(monkeypatch) -> None:
    from stacks import load_stack_spec

    for var in KUBEFLOW_VARIABLES:
        monkeypatch.setenv(var, "x")
    monkeypatch.delenv("ALPR_KUBE_CONTEXT", raising=False)
    monkeypatch.setenv("ALPR_KFP_USER_NAMESPACE", "team-a")
    spec = load_stack_spec("kubeflow")
    orchestrator = spec.components["orchestrator"].configuration
    assert orchestrator["user_namespace"] == "team-a" and "kubernetes_context" not in orchestrator
    assert orchestrator["kubeflow_hostname"] == "x" and orchestrator["synchronous"] is True
    assert spec.components["artifact_store"].configuration == {"path": "gs://x/zenml"}
    assert spec.remote


def test_a_failed_registration_removes_what_it_created(tmp_path, monkeypatch) -> None:
    import stacks.register as register
    from stacks import StackError, ensure_stack

    (tmp_path / "broken.yaml").write_text(
        "name: broken\ncomponents:\n"
        "  orchestrator: {name: broken-orchestrator, flavor: local}\n"
        "  artifact_store: {name: broken-store, flavor: gcp, configuration: {path: /not/a/bucket}}\n")
    monkeypatch.setattr(register, "STACKS_DIR", tmp_path)
    before = _component_names()
    with pytest.raises(StackError, match="stack 'broken' was not registered \\(nothing of it is left\\)"):
        ensure_stack("broken")
    assert _component_names() == before


def test_dataset_pipeline_on_the_gcs_stack_keeps_every_artifact_in_the_bucket(gcs_emulator, tmp_path,
                                                                             monkeypatch) -> None:
    from zenml.client import Client
    from zenml.enums import ExecutionStatus

    from alpr.artifacts import CocoDataset, LabelmeFolder
    from alpr.fsutil import open_fs
    from pipelines import dataset_pipeline
    from stacks import ensure_stack

    warnings.simplefilter("ignore", FutureWarning)
    monkeypatch.setenv("ALPR_GCS_BUCKET", "alpr")
    monkeypatch.delenv("ALPR_GCP_AUTH_SECRET", raising=False)
    client = Client()
    try:
        ensure_stack("gcs")
        assert client.active_stack_model.components["artifact_store"][0].flavor_name == "gcp"
        data = {"synth_images": 6, "synth_seed": 9, "catalog_url": f"sqlite:///{tmp_path / 'catalog.db'}",
                "name": "on-gcs"}
        run = client.get_pipeline_run(dataset_pipeline.with_options(enable_cache=False)(data=data).id)
    finally:
        ensure_stack("local")
    assert run.status == ExecutionStatus.COMPLETED
    outputs = [v for step in run.steps.values() for versions in step.outputs.values() for v in versions]
    assert len(outputs) >= 5
    fs, _ = open_fs("gs://alpr")
    for version in outputs:
        assert version.uri.startswith("gs://alpr/zenml/"), version.uri
        assert fs.find(version.uri), version.uri  # its files are in the bucket
        loaded = version.load()
        if isinstance(loaded, (LabelmeFolder, CocoDataset)):
            assert loaded.uri == version.uri
    dataset = run.steps["coco_merge"].outputs["coco_dataset"][0].load()
    assert sum(dataset.summary().images.values()) == 6
    assert {v.uri.rsplit("/", 1)[1] for v in run.steps["coco_merge"].outputs["coco_dataset"][0].visualizations} == {
        "summary.md", "class_counts.csv", "samples.png"}
