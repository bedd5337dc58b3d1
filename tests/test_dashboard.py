"""The ZenML dashboard on the project's state: started by run.py, runs appear there, the first
visit lands on the workspace (no survey, no checklist), seen in a real browser."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from alpr.deployment.local import free_ports
from alpr.project import PROJECT_ROOT

SCREENSHOTS = PROJECT_ROOT / "outputs" / "screenshots"  # test output, not committed


def _run(env: dict, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)


@pytest.mark.skipif(not shutil.which("chromium"), reason="chromium is not installed (scripts/setup.sh installs it)")
def test_dashboard_shows_the_projects_runs_without_onboarding(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    env = {**os.environ, "ZENML_CONFIG_PATH": str(tmp_path / "zenml")}  # a project state of its own
    port = free_ports(1)[0]
    started = _run(env, "run.py", "dashboard", "--port", str(port))
    try:
        assert started.returncode == 0, started.stderr[-2000:]
        assert f"ZenML dashboard: http://127.0.0.1:{port}" in started.stdout
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            refused = _run(env, "run.py", "dashboard", "--port", str(busy.getsockname()[1]))
            assert refused.returncode == 1 and "is in use by another program" in refused.stderr
        code = ("from alpr.project import apply_environment_defaults; apply_environment_defaults()\n"
                "from stacks import ensure_stack; ensure_stack('local')\n"
                "from pipelines import dataset_pipeline\n"
                f"run = dataset_pipeline.with_options(enable_cache=False)(data={{'synth_images': 3, "
                f"'catalog_url': 'sqlite:///{tmp_path / 'c.db'}'}})\n"
                "print('RUN', run.name)\n")
        ran = _run(env, "-c", code)
        assert ran.returncode == 0, ran.stderr[-2000:]
        run_name = ran.stdout.split("RUN ", 1)[1].strip()

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.goto(f"http://127.0.0.1:{port}/")
                page.wait_for_selector("text=Welcome back", timeout=60_000)
                assert "survey" not in page.url and "onboarding" not in page.url
                page.goto(f"http://127.0.0.1:{port}/projects/default/runs")
                page.wait_for_selector(f"text={run_name}", timeout=60_000)
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SCREENSHOTS / "dashboard-runs.png"))
            finally:
                browser.close()
    finally:
        stopped = _run(env, "run.py", "dashboard", "--stop")
    assert stopped.returncode == 0 and "dashboard stopped" in stopped.stdout
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
