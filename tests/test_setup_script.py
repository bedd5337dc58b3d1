"""The set-up script never deletes a folder it did not make."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from alpr.project import PROJECT_ROOT


def test_a_users_own_venv_folder_is_kept_renamed(tmp_path: Path) -> None:
    """A copy of the project whose requirements are already built in the cache (as in this
    test run): the script only links environments, and a real ``.venv`` folder is moved aside."""
    root = tmp_path / "project"
    (root / "scripts").mkdir(parents=True)
    (root / "seldon").mkdir()
    for rel in ("scripts/setup.sh", "scripts/cxx-cpp20", "requirements.txt", "seldon/requirements.txt"):
        shutil.copy(PROJECT_ROOT / rel, root / rel)
    (root / ".venv").mkdir()
    (root / ".venv" / "my-notes.txt").write_text("mine")
    done = subprocess.run(["bash", "scripts/setup.sh"], cwd=root, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "ALPR_CACHE": str(Path(os.readlink(PROJECT_ROOT / ".venv")).parents[1])})
    assert done.returncode == 0, done.stderr[-2000:]
    assert (root / ".venv").is_symlink() and (root / ".venv").resolve() == (PROJECT_ROOT / ".venv").resolve()
    (kept,) = root.glob(".venv.kept-*")
    assert (kept / "my-notes.txt").read_text() == "mine"
    assert "was a folder of its own" in done.stderr
