"""The serving benchmark reports the same fields every run: our served latency, a native engine's
on the same photos in the same run and the ratio, and the deployment's memory per service."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from alpr.project import PROJECT_ROOT


def test_serving_latency_beside_the_reference_engine(reference_checkpoint: Path) -> None:
    subprocess.run(["bash", str(PROJECT_ROOT / "scripts" / "reference-engine.sh")], check=True, timeout=900)
    run = subprocess.run([sys.executable, "-m", "bench.serving_latency", str(reference_checkpoint), "--requests", "4",
                          "--workers", "1"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(run.stdout)
    assert set(report) == {"machine", "photos", "requests", "bare_model_p50_ms", "reference",
                           "served_p50_vs_reference", "workers"}
    reference, served = report["reference"], report["workers"]["1"]
    assert reference["engine"].startswith("SimpleLPR") and reference["country"] == "Vietnam"
    assert reference["p50_ms"] > 0 and reference["plates_read_per_photo"] > 0  # it reads our long plates
    assert report["served_p50_vs_reference"] == round(served["p50_ms"] / reference["p50_ms"], 2)
    assert served["p50_ms"] > 0 and served["clients"] == 1 and served["concurrent_req_per_s"] > 0
    assert set(served["memory"]) == {"model", "transformer", "router"}
    for memory in served["memory"].values():
        assert memory["processes"] >= 1 and 0 < memory["pss_mb"] <= memory["rss_mb"]
    assert served["deployment_pss_mb"] == round(sum(m["pss_mb"] for m in served["memory"].values()), 1)
    # reading needs no torch: the transformer holds a fraction of the model's memory
    assert served["memory"]["transformer"]["pss_mb"] < served["memory"]["model"]["pss_mb"] / 3
