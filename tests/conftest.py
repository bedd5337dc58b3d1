"""Shared fixtures. ZenML state goes to a temporary folder for the whole session."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

_ZENML_DIR = tempfile.mkdtemp(prefix="alpr-test-zenml-")
os.environ["ZENML_CONFIG_PATH"] = _ZENML_DIR  # before anything imports zenml
os.environ["ZENML_ANALYTICS_OPT_IN"] = "false"
os.environ.pop("ALPR_CATALOG_URL", None)

from alpr.deployment.local import free_ports  # noqa: E402
from alpr.project import apply_environment_defaults  # noqa: E402
from listening import wait_listening  # noqa: E402

apply_environment_defaults()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    shutil.rmtree(_ZENML_DIR, ignore_errors=True)


@pytest.fixture(scope="session")
def synth_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """20 generated labelme images, shared read-only by tests (copy before changing)."""
    from alpr.synth import generate_dataset

    out = tmp_path_factory.mktemp("synth")
    generate_dataset(str(out), n=20, seed=2, progress=False)
    return out


@pytest.fixture(scope="session")
def tiny_dataset(synth_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 20 generated images merged into COCO train/val/test (12/4/4)."""
    from alpr.coco import SplitSpec, merge_to_coco
    from alpr.labelme import read_labelme_folder

    out = tmp_path_factory.mktemp("coco")
    annotations, _ = read_labelme_folder(str(synth_folder), progress=False)
    merge_to_coco(annotations, str(out), SplitSpec(train=0.6, val=0.2, test=0.2), progress=False)
    return out


@pytest.fixture(scope="session")
def tiny_params():
    """Training parameters for tests: a tiny backbone, a few iterations, small images."""
    from alpr.model.training_config import TrainParams

    return TrainParams(max_iters=3, batch_size=1, image_size=(320, 240), embed_dims=16, warmup_iters=1,
                       log_interval=1, seed=3)


@pytest.fixture(scope="session")
def trained(tiny_dataset: Path, tiny_params, tmp_path_factory: pytest.TempPathFactory):
    """A few real training iterations (seconds): a checkpoint for loader, serving and eval tests."""
    from alpr.model.train import train_detector

    return train_detector(tiny_params, tiny_dataset, tmp_path_factory.mktemp("train"))


@pytest.fixture()
def labelme_copy(synth_folder: Path, tmp_path: Path) -> Path:
    """A private copy of the generated folder that a test may break."""
    out = tmp_path / "labelme"
    shutil.copytree(synth_folder, out)
    return out


@pytest.fixture(scope="session")
def gcs_emulator() -> Iterator[str]:
    """A real GCS API on localhost (gcp-storage-emulator) with bucket ``alpr``; yields its URL."""
    port = free_ports(1)[0]
    exe = Path(sys.executable).with_name("gcp-storage-emulator")
    proc = subprocess.Popen(
        [str(exe), "start", "--host=127.0.0.1", f"--port={port}", "--in-memory", "--default-bucket=alpr", "-q"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    saved = {k: os.environ.get(k) for k in ("STORAGE_EMULATOR_HOST", "GCE_METADATA_HOST", "NO_GCE_CHECK")}
    os.environ.update(STORAGE_EMULATOR_HOST=url, GCE_METADATA_HOST=f"127.0.0.1:{port}", NO_GCE_CHECK="true")
    try:
        wait_listening(port, proc)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value



@pytest.fixture()
def browser():
    """Debian's chromium driven by Playwright (its own browser download needs internet);
    skipped where chromium is missing (scripts/setup.sh installs it as root)."""
    exe = shutil.which("chromium")
    if not exe:
        pytest.skip("chromium is not installed (scripts/setup.sh installs it as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=exe, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """Where browser tests keep their screenshots (test output, git-ignored)."""
    from alpr.project import PROJECT_ROOT

    folder = PROJECT_ROOT / "outputs" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def reference_checkpoint() -> Path:
    """The committed model that reads real plates (tests/fixtures/README.md)."""
    return Path(__file__).parent / "fixtures" / "alpr-detector.pth"
