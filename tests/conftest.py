"""Shared fixtures. ZenML state goes to a temporary folder for the whole session."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

_ZENML_DIR = tempfile.mkdtemp(prefix="alpr-test-zenml-")
os.environ["ZENML_CONFIG_PATH"] = _ZENML_DIR  # before anything imports zenml
os.environ["ZENML_ANALYTICS_OPT_IN"] = "false"
os.environ.pop("ALPR_CATALOG_URL", None)

from alpr.settings import apply_environment_defaults  # noqa: E402

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


@pytest.fixture()
def labelme_copy(synth_folder: Path, tmp_path: Path) -> Path:
    """A private copy of the generated folder that a test may break."""
    out = tmp_path / "labelme"
    shutil.copytree(synth_folder, out)
    return out
