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
        train_params=params,
    )
    client = Client()
    run = client.get_pipeline_run(run.id)
    assert run.status == ExecutionStatus.COMPLETED
    assert {"train", "evaluate"} <= set(run.steps)

    model_artifact = run.steps["train"].outputs["trained_model"][0]
    trained = model_artifact.load()
    payload = torch.load(trained.checkpoint_uri, weights_only=True)
    assert payload["params"]["seed"] == 7 and payload["params"]["embed_dims"] == 16
    assert list(Path(trained.uri, "tensorboard").rglob("events.out.tfevents.*"))

    report = run.steps["evaluate"].outputs["evaluation"][0].load()
    summary = run.steps["coco_merge"].outputs["coco_dataset"][0].load().summary()
    assert report.split == "test" and report.images == summary.images["test"]
    headline = run.run_metadata  # on the run itself: the open-source dashboard shows it
    assert headline["test_eir"] == report.eir and headline["test_bbox_mAP"] == report.bbox_mAP

    version = client.get_model_version(MODEL_NAME, run.model_version.number)
    metadata = version.run_metadata
    assert "test_eir" in metadata and "test_bbox_mAP" in metadata and "train_wall_time_s" in metadata
    linked = {a.name for a in client.list_artifact_versions(model_version_id=version.id, size=50).items}
    assert "trained_model" in linked
