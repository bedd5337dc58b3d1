"""The dataset pipeline through real ZenML (local stack, temporary ZENML_CONFIG_PATH)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import pytest
from pycocotools.coco import COCO

from alpr.catalog import ANNOTATIONS, COCO as COCO_KIND, DatasetCatalog
from alpr.project import PROJECT_ROOT


@pytest.fixture(scope="module")
def zenml_local_stack():
    from stacks import ensure_stack

    ensure_stack("local")
    from zenml.client import Client

    assert Client().active_stack_model.name == "local"
    return Client()


def test_dataset_pipeline_completes_with_artifacts(zenml_local_stack, tmp_path: Path) -> None:
    from zenml.enums import ExecutionStatus

    from alpr.artifacts import CocoDataset
    from alpr.labelme import ValidationReport
    from pipelines import dataset_pipeline

    catalog_url = f"sqlite:///{tmp_path / 'catalog.db'}"
    data = {"synth_images": 12, "synth_seed": 5, "catalog_url": catalog_url, "name": "e2e"}
    run = dataset_pipeline.with_options(enable_cache=False)(data=data)
    run = zenml_local_stack.get_pipeline_run(run.id)
    assert run.status == ExecutionStatus.COMPLETED
    assert set(run.steps) == {"synthesize_labelme", "ingest", "coco_merge", "catalog_record"}

    dataset = run.steps["coco_merge"].outputs["coco_dataset"][0]
    loaded = dataset.load()
    assert isinstance(loaded, CocoDataset)
    summary = loaded.summary()
    assert sum(summary.images.values()) == 12
    coco = COCO(str(Path(loaded.uri) / "annotations" / "train.json"))
    assert len(coco.getImgIds()) == summary.images["train"]
    assert all((Path(loaded.uri) / img["file_name"]).is_file() for img in coco.loadImgs(coco.getImgIds()))
    assert dataset.run_metadata["images"] == summary.images  # counts per split on the artifact
    assert "class_counts" in dataset.run_metadata
    shown = {Path(v.uri).name: v for v in dataset.visualizations}  # what the dashboard shows
    assert set(shown) == {"summary.md", "class_counts.csv", "samples.png"}
    grid = cv2.imread(shown["samples.png"].uri)
    assert grid.shape == (480, 1280, 3) and grid.std() > 20  # 8 photos with their polygons, 4 a row
    counts = (Path(shown["class_counts.csv"].uri).read_text().splitlines())
    assert counts[0] == "class,train,val,test" and len(counts) == 22
    assert sum(int(n) for line in counts[1:] for n in line.split(",")[1:]) == sum(summary.annotations.values())

    report = run.steps["ingest"].outputs["validation_report"][0].load()
    assert isinstance(report, ValidationReport) and report.valid == 12 and not report.problems

    entries = run.steps["catalog_record"].outputs["catalog_entries"][0].load()
    assert entries["coco"]["zenml_artifact_id"] == str(dataset.id)
    with DatasetCatalog(catalog_url) as catalog:
        assert [r["version"] for r in catalog.list(COCO_KIND, "e2e")] == [1]
        assert catalog.list(ANNOTATIONS, "e2e")[0]["counts"]["images"] == 12

        # same content again (no cache): the catalog keeps one version
        rerun = dataset_pipeline.with_options(enable_cache=False)(data=data)
        assert zenml_local_stack.get_pipeline_run(rerun.id).status == ExecutionStatus.COMPLETED
        assert [r["version"] for r in catalog.list(COCO_KIND, "e2e")] == [1]


def test_pipeline_ingests_external_folder_and_reports_bad_files(
    zenml_local_stack, synth_folder: Path, tmp_path: Path
) -> None:
    from zenml.enums import ExecutionStatus

    from pipelines import dataset_pipeline

    source = tmp_path / "labelme"
    shutil.copytree(synth_folder, source)
    (source / "img_000000.json").write_text("{broken")
    run = dataset_pipeline.with_options(enable_cache=False)(
        data={"source_uri": str(source), "catalog_url": f"sqlite:///{tmp_path / 'c.db'}", "max_bad_fraction": 0.2}
    )
    run = zenml_local_stack.get_pipeline_run(run.id)
    assert run.status == ExecutionStatus.COMPLETED
    report = run.steps["ingest"].outputs["validation_report"][0].load()
    assert report.valid == 19 and report.problems[0].file == "img_000000.json"
    assert report.problems[0].reason.startswith("invalid JSON")
    (shown,) = run.steps["ingest"].outputs["validation_report"][0].visualizations
    table = Path(shown.uri).read_text()
    assert "19/20 files valid, 1 bad" in table and "| `img_000000.json` | invalid JSON" in table


def test_a_changed_source_folder_is_read_again_with_caching_on(
    zenml_local_stack, synth_folder: Path, tmp_path: Path
) -> None:
    from zenml.enums import ExecutionStatus

    from pipelines import dataset_pipeline

    source = tmp_path / "labelme"
    shutil.copytree(synth_folder, source)
    data = {"source_uri": str(source), "catalog_url": f"sqlite:///{tmp_path / 'c.db'}"}
    steps = lambda run: zenml_local_stack.get_pipeline_run(run.id).steps  # noqa: E731
    first = steps(dataset_pipeline.with_options(enable_cache=True)(data=data))
    unchanged = steps(dataset_pipeline.with_options(enable_cache=True)(data=data))
    assert unchanged["labelme_source"].status == ExecutionStatus.CACHED
    for name in ("img_000003.json", "img_000003.jpg"):
        (source / name).unlink()
    changed = steps(dataset_pipeline.with_options(enable_cache=True)(data=data))
    assert changed["labelme_source"].status == ExecutionStatus.COMPLETED
    assert changed["ingest"].outputs["validation_report"][0].load().valid == 19
    assert first["ingest"].outputs["validation_report"][0].load().valid == 20


def test_run_py_help_documents_every_option() -> None:
    out = subprocess.run(
        [sys.executable, "run.py", "--help"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    ).stdout
    for option in ("--stack", "--config", "--no-cache", "--help"):
        assert option in out


def test_run_py_end_to_end(tmp_path: Path) -> None:
    """What a user types, on a fresh ZenML state: registers the stack, runs, says where."""
    config = tmp_path / "tiny.yaml"
    config.write_text(
        json.dumps(
            {
                "extra": {"pipeline": "dataset"},
                "enable_cache": False,
                "parameters": {"data": {"synth_images": 6, "catalog_url": f"sqlite:///{tmp_path / 'cat.db'}"}},
            }
        )
    )
    env = {**__import__("os").environ, "ZENML_CONFIG_PATH": str(tmp_path / "zen")}
    proc = subprocess.run(
        [sys.executable, "run.py", "--stack", "local", "--config", str(config)],
        cwd=PROJECT_ROOT, capture_output=True, text=True, env=env, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "status: completed" in proc.stdout
    assert "coco_merge.coco_dataset" in proc.stdout and str(tmp_path / "zen") in proc.stdout
    bad = subprocess.run(
        [sys.executable, "run.py", "--config", "nope.yaml"], cwd=PROJECT_ROOT, capture_output=True, text=True, env=env
    )
    assert bad.returncode == 2 and "nope.yaml: no such file" in bad.stderr
