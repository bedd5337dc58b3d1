"""``python -m bench.photo_sizes`` on a labelme folder: the exact-plate rate and latency of every
photo-size bucket it holds, as a user runs it on their own photos."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from alpr.project import PROJECT_ROOT
from alpr.synth import SynthOptions, generate_dataset


def test_the_bench_reads_a_labelme_folder_and_reports_each_photo_size(tmp_path: Path,
                                                                      reference_checkpoint: Path) -> None:
    folder = tmp_path / "photos"
    for i, size in enumerate([(640, 480), (1920, 1080)]):
        options = SynthOptions.classic(image_sizes=[size], plates_per_image=(1, 1), regular_width=(110, 160),
                                       max_rotation_deg=3.0, closeup_fraction=0.0, portrait_fraction=0.0)
        generate_dataset(str(folder / f"{size[0]}"), n=1, seed=515 + i, options=options, progress=False)
    run = subprocess.run([sys.executable, "-m", "bench.photo_sizes", str(reference_checkpoint), "--labelme",
                          str(folder), "--no-served", "--out", str(tmp_path / "work")],
                         cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(run.stdout)
    assert report["photos"] == 2 and report["bad_files"] == 0 and "served" not in report
    eager = report["eager"]
    assert eager["true_plates"] == 2
    assert set(eager["photo_size"]) == {"640x480", "1920x1080"}
    for row in eager["photo_size"].values():
        assert row["true_plates"] == 1 and 0.0 <= row["eir"] <= 1.0 and row["latency_p50_ms"] > 0
    assert eager["plate_width"]  # and per plate width
