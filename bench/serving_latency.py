"""Benchmark: end-to-end REST latency through router -> model -> transformer (local deployment).

    .venv/bin/python -m bench.serving_latency CHECKPOINT [--requests 60] [--workers 1 2]

For each worker count: deploys locally, sends 640x480 JPEGs one at a time (p50/p95/p99 and
req/s), then from as many client threads as workers (req/s), reads the model workers' memory
(RSS), and compares with bare in-process inference on the same images (the overhead of the
Seldon wrappers, JSON, base64 and the router).
"""

from __future__ import annotations

import argparse
import base64
import json
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np

from alpr.deployment.local import LocalDeployer, free_ports
from alpr.synth import SynthOptions
from alpr.synth.generate import image_rng
from alpr.synth.scene import render_scene


def _post(url: str, body: bytes) -> float:
    started = time.perf_counter()
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=120) as resp:
        resp.read()
        assert resp.status == 200
    return (time.perf_counter() - started) * 1000


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoint")
    p.add_argument("--requests", type=int, default=60)
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = p.parse_args()

    images = [render_scene(image_rng(707, i), SynthOptions()).image for i in range(10)]
    bodies = [json.dumps({"binData": base64.b64encode(cv2.imencode(".jpg", im)[1].tobytes()).decode()}).encode()
              for im in images]

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
    out = {"bare_model_p50_ms": round(float(np.percentile(bare, 50)), 1)}

    deployer = LocalDeployer()
    for workers in args.workers:
        name = f"bench-{workers}w"
        record = deployer.deploy(name, args.checkpoint, port=free_ports(1)[0], workers=workers)
        try:
            for body in bodies[:3]:
                _post(record.predict_url, body)
            times = [_post(record.predict_url, bodies[i % len(bodies)]) for i in range(args.requests)]
            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=workers) as pool:
                list(pool.map(lambda i: _post(record.predict_url, bodies[i % len(bodies)]), range(args.requests)))
            concurrent_rps = args.requests / (time.perf_counter() - started)
            p50 = float(np.percentile(times, 50))
            out[f"{workers}_workers"] = {
                "p50_ms": round(p50, 1),
                "p95_ms": round(float(np.percentile(times, 95)), 1),
                "p99_ms": round(float(np.percentile(times, 99)), 1),
                "sequential_req_per_s": round(1000 / float(np.mean(times)), 2),
                f"req_per_s_with_{workers}_clients": round(concurrent_rps, 2),
                "overhead_over_bare_p50_ms": round(p50 - out["bare_model_p50_ms"], 1),
                "model_service_rss_mb": round(record.service("model").rss_mb(), 0),
            }
        finally:
            deployer.stop(name)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
