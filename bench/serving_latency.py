"""Benchmark: end-to-end REST latency through router -> model -> transformer (local deployment),
side by side with a native ALPR engine on the same photos.

    .venv/bin/python -m bench.serving_latency CHECKPOINT [--requests 60] [--workers 1 2]
        [--reference-python .venv-reference/bin/python]

For each worker count: deploys locally, sends 640x480 JPEGs one at a time (p50/p95/p99 and
req/s), then from as many client threads as workers (req/s), and reads the memory of each
service (processes, RSS, PSS from ``/proc/PID/smaps_rollup``). With one worker, each photo is
also read by the reference engine (``bench/reference_engine.py``: SimpleLPR in its own
environment, made by ``scripts/reference-engine.sh``), request by request, so both run under
the same load: its p50 and the ratio of ours to it. Bare in-process ``Detector.detect`` on the
same photos gives the wrappers' overhead. The JSON has the same fields every run (null where
something was not measured, with the reason), so machines can be compared.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import subprocess
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np

from alpr.deployment.local import LocalDeployer, free_ports
from alpr.project import PROJECT_ROOT
from alpr.synth import SynthOptions
from alpr.synth.generate import image_rng
from alpr.synth.scene import render_scene

REFERENCE_PYTHON = PROJECT_ROOT / ".venv-reference" / "bin" / "python"


def _post(url: str, body: bytes) -> float:
    started = time.perf_counter()
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=120) as resp:
        resp.read()
        assert resp.status == 200
    return (time.perf_counter() - started) * 1000


class ReferenceEngine:
    """The reference engine's child process (``bench/reference_engine.py``): one JPEG path in,
    its milliseconds and readings out."""

    def __init__(self, python: Path):
        self.process = subprocess.Popen([str(python), str(PROJECT_ROOT / "bench" / "reference_engine.py")],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.description = json.loads(self.process.stdout.readline())

    def read(self, path: Path) -> dict:
        self.process.stdin.write(f"{path}\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def close(self) -> None:
        self.process.stdin.write("\n")
        self.process.stdin.close()
        self.process.wait(timeout=30)


def _percentiles(times: list[float]) -> dict[str, float]:
    return {f"p{q}_ms": round(float(np.percentile(times, q)), 1) for q in (50, 95, 99)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoint")
    p.add_argument("--requests", type=int, default=60)
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    p.add_argument("--reference-python", type=Path, default=REFERENCE_PYTHON,
                   help="python of the reference engine's environment (default: %(default)s)")
    p.add_argument("--look", choices=["varied", "classic"], default="varied",
                   help="the generator's look of the photos (classic: what the reference checkpoint trained on)")
    args = p.parse_args()

    import torch

    options = SynthOptions(image_sizes=[(640, 480)], look=args.look)
    images = [render_scene(image_rng(707, i), options).image for i in range(10)]
    jpegs = [cv2.imencode(".jpg", im)[1].tobytes() for im in images]
    bodies = [json.dumps({"binData": base64.b64encode(j).decode()}).encode() for j in jpegs]
    folder = Path(tempfile.mkdtemp(prefix="alpr-latency-"))
    paths = []
    for i, jpeg in enumerate(jpegs):
        paths.append(folder / f"photo{i}.jpg")
        paths[-1].write_bytes(jpeg)

    from alpr.model.detector import Detector

    detector = Detector(args.checkpoint)
    for im in images[:3]:
        detector.detect(im)
    bare = []
    for i in range(args.requests):
        started = time.perf_counter()
        detector.detect(images[i % len(images)])
        bare.append((time.perf_counter() - started) * 1000)
    del detector
    out = {
        "machine": {"cores": os.cpu_count(), "torch_threads": torch.get_num_threads()},
        "photos": f"10 generated 640x480 JPEGs (seed 707, {args.look} look), each sent in turn",
        "requests": args.requests,
        "bare_model_p50_ms": round(float(np.percentile(bare, 50)), 1),
        "reference": None,
        "served_p50_vs_reference": None,
        "workers": {},
    }
    reference = None
    if args.reference_python.exists():
        reference = ReferenceEngine(args.reference_python)
    else:
        out["reference"] = {"engine": None, "why": f"{args.reference_python} not found: run scripts/reference-engine.sh"}

    deployer = LocalDeployer()
    try:
        for workers in args.workers:
            name = f"bench-{workers}w"
            record = deployer.deploy(name, args.checkpoint, port=free_ports(1)[0], workers=workers)
            try:
                for body in bodies[:3]:
                    _post(record.predict_url, body)
                times, ref_times, ref_plates = [], [], 0
                for i in range(args.requests):
                    times.append(_post(record.predict_url, bodies[i % len(bodies)]))
                    if reference is not None and workers == 1:  # interleaved: the same load for both
                        answer = reference.read(paths[i % len(paths)])
                        ref_times.append(answer["ms"])
                        ref_plates += len(answer["plates"])
                started = time.perf_counter()
                with ThreadPoolExecutor(max_workers=workers) as pool:
                    list(pool.map(lambda i: _post(record.predict_url, bodies[i % len(bodies)]), range(args.requests)))
                concurrent_rps = args.requests / (time.perf_counter() - started)
                memory = {s.name: s.memory() for s in record.services}
                result = {
                    **_percentiles(times),
                    "sequential_req_per_s": round(1000 / float(np.mean(times)), 2),
                    "clients": workers,
                    "concurrent_req_per_s": round(concurrent_rps, 2),
                    "overhead_over_bare_p50_ms": round(float(np.percentile(times, 50)) - out["bare_model_p50_ms"], 1),
                    "memory": memory,
                    "deployment_pss_mb": round(sum(m["pss_mb"] for m in memory.values()), 1),
                    "deployment_processes": sum(m["processes"] for m in memory.values()),
                }
                out["workers"][str(workers)] = result
                if ref_times:
                    out["reference"] = {"engine": reference.description["engine"],
                                        "country": reference.description["country"], **_percentiles(ref_times),
                                        "plates_read_per_photo": round(ref_plates / len(ref_times), 2)}
                    out["served_p50_vs_reference"] = round(result["p50_ms"] / out["reference"]["p50_ms"], 2)
            finally:
                deployer.stop(name)
    finally:
        if reference is not None:
            reference.close()
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
