"""``python -m bench.reader_alone``: plate readers alone on a labelme folder's true outlines."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from alpr.project import PROJECT_ROOT
from alpr.synth import SynthOptions, generate_dataset
from bench.reader_alone import outcomes


def test_outcomes_count_exact_wrong_and_unread_boards() -> None:
    assert outcomes(["51a1234", "51a1235", ""], ["51a1234"] * 3) == {"boards": 3, "exact": 1, "wrong": 1, "none": 1}


def test_the_bench_reads_every_true_board_of_a_labelme_folder(tmp_path: Path, reference_checkpoint: Path) -> None:
    options = SynthOptions.classic(image_sizes=[(640, 480)], plates_per_image=(2, 2), regular_width=(110, 160),
                                   max_rotation_deg=3.0, closeup_fraction=0.0, portrait_fraction=0.0)
    generate_dataset(str(tmp_path / "photos"), n=3, seed=616, options=options, progress=False)
    run = subprocess.run([sys.executable, "-m", "bench.reader_alone", str(reference_checkpoint), "--labelme",
                          str(tmp_path / "photos"), "--jitter", "0", "0.06", "--out", str(tmp_path / "work")],
                         cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(run.stdout)
    assert report["bad_files"] == 0
    rows = report["readers"][str(reference_checkpoint)]
    assert set(rows) == {"0.0", "0.06"}
    for row in rows.values():
        assert row["boards"] == 6 and row["exact"] + row["wrong"] + row["none"] == 6
    assert rows["0.0"]["exact"] >= 5  # the reference reader reads its own look's plain boards
