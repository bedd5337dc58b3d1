"""The training pipeline through real ZenML: dataset -> train -> evaluate, with a Model version."""

from __future__ import annotations

from pathlib import Path

import torch


def test_training_pipeline_completes_and_links_model(tmp_path: Path) -> None:
    from zenml.client import Client
    from zenml.enums import ExecutionStatus

    from alpr.model.training_config import TrainParams
    from pipelines import training_pipeline
    from alpr.model import MODEL_NAME
    from stacks import ensure_stack

    ensure_stack("local")
    params = TrainParams(max_iters=2, batch_size=1, image_size=(320, 240), embed_dims=16, warmup_iters=1, seed=7)
    run = training_pipeline.with_options(enable_cache=False)(
        data={"synth_images": 10, "synth_seed": 3, "catalog_url": f"sqlite:///{tmp_path / 'c.db'}",
              "split": {"train": 0.6, "val": 0.2, "test": 0.2}},
        train_params=params, foreign_test={"images": 3, "seed": 5},
    )
    client = Client()
    run = client.get_pipeline_run(run.id)
    assert run.status == ExecutionStatus.COMPLETED
    assert {"train", "evaluate"} <= set(run.steps)

    model_artifact = run.steps["train"].outputs["trained_model"][0]
    trained = model_artifact.load()
    payload = torch.load(trained.checkpoint_uri, weights_only=True)
    assert payload["params"]["seed"] == 7 and payload["params"]["embed_dims"] == 16
    assert payload["glyphs"] is not None and payload["reader"] is not None  # both small nets travel with it
    assert list(Path(trained.uri, "tensorboard").rglob("events.out.tfevents.*"))

    report = run.steps["evaluate"].outputs["evaluation"][0].load()
    summary = run.steps["coco_merge"].outputs["coco_dataset"][0].load().summary()
    assert report.split == "test" and report.images == summary.images["test"]
    gallery = str(run.steps["evaluate"].outputs["gallery"][0].load())  # what the dashboard shows
    assert gallery.count("<img src=\"data:image/jpeg;base64,") == report.images  # every test photo, inline
    assert f"{report.exact_plates} of {report.true_plates} plates read exactly" in gallery
    assert "<script" not in gallery and "bbox AP per class" in gallery and "true (rows)" in gallery
    headline = run.run_metadata  # on the run itself: the open-source dashboard shows it
    assert headline["test_eir"] == report.eir and headline["test_bbox_mAP"] == report.bbox_mAP

    version = client.get_model_version(MODEL_NAME, run.model_version.number)
    metadata = version.run_metadata
    assert "test_eir" in metadata and "test_bbox_mAP" in metadata and "train_wall_time_s" in metadata

    # the foreign test set: rendered apart, through ingest and COCO, scored beside the test split
    foreign = run.steps["evaluate_foreign"].outputs["evaluation"][0].load()
    foreign_data = run.steps["coco_merge_foreign"].outputs["coco_dataset"][0].load().summary()
    assert foreign.images == foreign_data.images["test"] == 3 and foreign_data.images["train"] == 0
    assert run.steps["ingest_foreign"].outputs["validation_report"][0].load().bad == 0
    assert metadata["foreign_eir"] == foreign.eir == headline["foreign_eir"]
    assert metadata["foreign_dataset_hash"] == foreign_data.content_hash
    linked = {a.name for a in client.list_artifact_versions(model_version_id=version.id, size=50).items}
    assert "trained_model" in linked


def test_tensorboard_opens_on_the_latest_training_run() -> None:
    """``run.py tensorboard`` finds the event files of the latest run that trained a model (the
    test above) and serves them; TensorBoard's own API lists the run's scalars."""
    import json
    import subprocess
    import sys
    import time
    import urllib.request

    from alpr.deployment.local import free_ports
    from alpr.project import PROJECT_ROOT

    port = free_ports(1)[0]
    board = subprocess.Popen([sys.executable, "run.py", "tensorboard", "--port", str(port)], cwd=PROJECT_ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        first = board.stdout.readline()
        assert f"http://127.0.0.1:{port}/" in first and "/tensorboard" in first, first
        deadline, tags = time.monotonic() + 60, {}
        while not tags and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/data/plugin/scalars/tags", timeout=5) as resp:
                    tags = json.loads(resp.read())
            except OSError:
                time.sleep(0.5)
        assert any(tag.startswith("alpr/") for run_tags in tags.values() for tag in run_tags), tags  # validation metrics
    finally:
        board.terminate()
        board.wait(20)
