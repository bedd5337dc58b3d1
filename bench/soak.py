"""Benchmark: a bounded soak of the local deployment with good and hostile requests mixed.

    .venv/bin/python -m bench.soak CHECKPOINT [--clients 4] [--seconds 60] [--bad-fraction 0.3]

Deploys CHECKPOINT on a free port, then ``--clients`` threads send requests for ``--seconds``:
good ones (generated 640x480 JPEGs) and, with probability ``--bad-fraction``, one of the bad
requests below, over raw sockets so that malformed headers reach the server as sent. Prints
the answers by kind and status, the number of 5xx answers and of dropped connections (both
must be 0), p50/p99 of good requests, and each service's memory at the start, at its peak and
at the end (stable memory: the end is close to the start).
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import random
import socket
import threading
import time
from collections import Counter
from urllib.parse import urlparse

import cv2
import numpy as np
from PIL import Image

from alpr.deployment.local import LocalDeployer, free_ports
from alpr.synth import SynthOptions
from alpr.synth.generate import image_rng
from alpr.synth.scene import render_scene

PATH = "/api/v1.0/predictions"


def _json_request(doc: dict | str, path: str = PATH) -> bytes:
    body = (doc if isinstance(doc, str) else json.dumps(doc)).encode()
    return (f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n").encode() + body


def _png_bomb() -> bytes:
    """A valid PNG whose header claims 30000x30000 pixels (a few hundred bytes on the wire)."""
    buffer = io.BytesIO()
    Image.new("1", (30000, 30000)).save(buffer, format="PNG")
    return buffer.getvalue()


def bad_requests(jpeg: bytes) -> dict[str, bytes]:
    """Each kind of bad request, as raw bytes on the wire."""
    head = f"POST {PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\n"
    return {
        "invalid_base64": _json_request({"binData": "abc"}),
        "not_json": _json_request("{\"binData\": "),
        "not_an_image": _json_request({"binData": base64.b64encode(b"hello").decode()}),
        "truncated_jpeg": _json_request({"binData": base64.b64encode(jpeg[: len(jpeg) // 2]).decode()}),
        "png_bomb": _json_request({"binData": base64.b64encode(_png_bomb()).decode()}),
        "wrong_keys": _json_request({"image": "x"}),
        "negative_length": (head + "Content-Length: -1\r\n\r\n").encode(),
        "length_abc": (head + "Content-Length: abc\r\n\r\n").encode(),
        "huge_length": (head + "Content-Length: 999999999999\r\n\r\n").encode(),
        "no_length": (head + "\r\n").encode(),
        "wrong_path": _json_request({"binData": "AAAA"}, "/nowhere"),
        "put_method": f"PUT {PATH} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode(),
        "garbage_line": b"\x16\x03\x01 not http at all\r\n\r\n",
    }


def send(host: str, port: int, raw: bytes, timeout: float = 120.0) -> int:
    """Send ``raw``; the answer's status code, or 0 when the connection closed with no answer."""
    with socket.create_connection((host, port), timeout=timeout) as conn:
        conn.sendall(raw)
        answer = b""
        while b"\r\n" not in answer:
            chunk = conn.recv(4096)
            if not chunk:
                return 0
            answer += chunk
        while conn.recv(65536):  # read to the end (Connection: close)
            pass
    parts = answer.split(b"\r\n", 1)[0].split()
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoint")
    p.add_argument("--clients", type=int, default=4)
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--bad-fraction", type=float, default=0.3)
    p.add_argument("--workers", type=int, default=1, help="model microservice workers")
    args = p.parse_args()

    images = [render_scene(image_rng(808, i), SynthOptions()).image for i in range(8)]
    jpegs = [cv2.imencode(".jpg", im)[1].tobytes() for im in images]
    good = [_json_request({"binData": base64.b64encode(j).decode()}) for j in jpegs]
    bad = bad_requests(jpegs[0])

    deployer = LocalDeployer()
    name = "bench-soak"
    record = deployer.deploy(name, args.checkpoint, port=free_ports(1)[0], workers=args.workers)
    host, port = urlparse(record.url).hostname, urlparse(record.url).port
    outcomes: Counter = Counter()
    latencies: list[float] = []
    lock = threading.Lock()
    memory = {s.name: [s.rss_mb()] for s in record.services}
    try:
        for raw in good[:2]:
            send(host, port, raw)
        memory = {s.name: [s.rss_mb()] for s in record.services}
        deadline = time.monotonic() + args.seconds

        def client(seed: int) -> None:
            rng = random.Random(seed)
            while time.monotonic() < deadline:
                kind = rng.choice(list(bad)) if rng.random() < args.bad_fraction else "good"
                started = time.perf_counter()
                try:
                    status = send(host, port, bad[kind] if kind != "good" else rng.choice(good))
                except OSError:
                    status = 0
                with lock:
                    outcomes[(kind, status)] += 1
                    if kind == "good" and status == 200:
                        latencies.append((time.perf_counter() - started) * 1000)

        threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
        for t in threads:
            t.start()
        while any(t.is_alive() for t in threads):
            time.sleep(2.0)
            for s in record.services:
                memory[s.name].append(s.rss_mb())
        for t in threads:
            t.join()
        for s in record.services:
            memory[s.name].append(s.rss_mb())
        alive = {s.name: s.alive() for s in record.services}
    finally:
        deployer.stop(name)

    by_kind: dict[str, dict[str, int]] = {}
    for (kind, status), count in sorted(outcomes.items()):
        by_kind.setdefault(kind, {})[str(status)] = count
    print(json.dumps({
        "clients": args.clients, "seconds": args.seconds, "requests": sum(outcomes.values()),
        "answers_by_kind": by_kind,
        "5xx": sum(c for (_, s), c in outcomes.items() if s >= 500),
        "no_answer": sum(c for (_, s), c in outcomes.items() if s == 0),
        "good_p50_ms": round(float(np.percentile(latencies, 50)), 1) if latencies else None,
        "good_p99_ms": round(float(np.percentile(latencies, 99)), 1) if latencies else None,
        "rss_mb": {n: {"start": round(m[0]), "peak": round(max(m)), "end": round(m[-1])} for n, m in memory.items()},
        "services_alive_at_end": alive,
    }, indent=1))


if __name__ == "__main__":
    main()
