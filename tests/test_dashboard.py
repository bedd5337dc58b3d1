"""The ZenML dashboard on the project's state: started by run.py, runs appear there, the first
visit lands on the workspace (no survey, no checklist), a run's evaluation gallery renders; all
seen in a real browser."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from alpr.deployment.local import free_ports
from alpr.project import PROJECT_ROOT



def _run(env: dict, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)


def test_dashboard_shows_runs_and_their_evaluation_gallery_without_onboarding(browser, screenshots: Path,
                                                                             tmp_path: Path) -> None:
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
                "from alpr.model.training_config import TrainParams\n"
                "from pipelines import training_pipeline\n"
                "run = training_pipeline.with_options(enable_cache=False)(\n"
                f"    data={{'synth_images': 8, 'synth_seed': 4, 'catalog_url': 'sqlite:///{tmp_path / 'c.db'}',\n"
                "          'split': {'train': 0.5, 'val': 0.2, 'test': 0.3}},\n"
                "    train_params=TrainParams(max_iters=2, batch_size=1, image_size=(320, 240), embed_dims=16,\n"
                "                             warmup_iters=1),\n"
                "    foreign_test={'enabled': False})\n"
                "report = run.steps['evaluate'].outputs['evaluation'][0].load()\n"
                "print('RUN', run.id, report.images)\n")
        ran = _run(env, "-c", code)
        assert ran.returncode == 0, ran.stderr[-3000:]
        run_id, test_photos = ran.stdout.split("RUN ", 1)[1].split()
        assert int(test_photos) > 0

        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"http://127.0.0.1:{port}/")
        page.wait_for_selector("text=Welcome back", timeout=60_000)
        assert "survey" not in page.url and "onboarding" not in page.url
        page.goto(f"http://127.0.0.1:{port}/projects/default/runs")
        page.wait_for_selector(f"text={run_id[:8]}", timeout=60_000)
        page.screenshot(path=str(screenshots / "dashboard-runs.png"))

        # the run's graph, then its evaluation gallery, as a person clicks through them
        page.goto(f"http://127.0.0.1:{port}/projects/default/runs/{run_id}")
        page.get_by_text("gallery", exact=True).first.click()
        page.get_by_role("tab", name="Visualization").first.click()
        page.get_by_role("button", name="Load Preview").first.click()
        frame = next(f for f in _frames_after(page, "about:srcdoc"))
        frame.wait_for_selector("text=plates read exactly", timeout=60_000)
        assert frame.locator("img").count() == int(test_photos)  # every test photo, drawn
        assert frame.locator("li.bad").count() > 0  # what was missed, with the truth
        page.screenshot(path=str(screenshots / "dashboard-gallery.png"))
    finally:
        stopped = _run(env, "run.py", "dashboard", "--stop")
    assert stopped.returncode == 0 and "dashboard stopped" in stopped.stdout
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def _frames_after(page, url: str, timeout: float = 30.0):
    """The page's frames at ``url`` once one has appeared (the dashboard renders previews late)."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        frames = [f for f in page.frames if f.url == url]
        if frames:
            return frames
        page.wait_for_timeout(250)
    raise AssertionError(f"no frame at {url}: {[f.url for f in page.frames]}")
