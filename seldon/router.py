"""Local stand-in for the Seldon executor: one port, the same REST path, the same chain.

``POST /api/v1.0/predictions`` goes to the model's ``/api/v1.0/predictions`` as sent (JSON or
multipart); the model's whole SeldonMessage goes to the output transformer's
``/transform-output``; a non-200 answer from either is returned as it is. A microservice that
does not answer gives 503 with a message. Standard library only, so it runs in any
environment:

    python seldon/router.py --port 8000 --model http://127.0.0.1:9001 --transformer http://127.0.0.1:9002
"""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREDICT_PATHS = ("/api/v1.0/predictions", "/api/v0.1/predictions", "/predict")
log = logging.getLogger("alpr.router")


class Upstream:
    def __init__(self, url: str, timeout: float = 60.0):
        parsed = urllib.parse.urlparse(url)
        self.url = url
        self.host, self.port = parsed.hostname or "127.0.0.1", parsed.port or 80
        self.timeout = timeout

    def post(self, path: str, body: bytes, content_type: str) -> tuple[int, bytes, str]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            conn.request("POST", path, body=body, headers={"Content-Type": content_type})
            resp = conn.getresponse()
            return resp.status, resp.read(), resp.getheader("Content-Type", "application/json")
        finally:
            conn.close()

    def get(self, path: str) -> int:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=5)
        try:
            conn.request("GET", path)
            resp = conn.getresponse()
            resp.read()
            return resp.status
        finally:
            conn.close()


def make_handler(model: Upstream, transformer: Upstream) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            if self.path.split("?")[0] not in PREDICT_PATHS:
                return self._json(404, _status(404, f"no route {self.path}; POST /api/v1.0/predictions"))
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if not body:
                return self._json(400, _status(400, "empty request body: send {\"binData\": \"<base64 image>\"}"))
            started = time.perf_counter()
            try:
                status, payload, ctype = model.post("/api/v1.0/predictions", body,
                                                    self.headers.get("Content-Type", "application/json"))
            except OSError as exc:
                return self._json(503, _status(503, f"model microservice at {model.url} is not reachable: {exc}"))
            if status != 200:
                return self._raw(status, payload, ctype)
            try:
                status, payload, ctype = transformer.post("/transform-output", payload, "application/json")
            except OSError as exc:
                return self._json(503, _status(503, f"transformer at {transformer.url} is not reachable: {exc}"))
            log.info("predict %d in %.1f ms", status, (time.perf_counter() - started) * 1000)
            return self._raw(status, payload, ctype)

        def do_GET(self) -> None:  # noqa: N802
            if self.path in ("/health/ping", "/live"):
                return self._raw(200, b"pong", "text/plain")
            if self.path in ("/health/status", "/ready"):
                states = {}
                for name, up in (("model", model), ("transformer", transformer)):
                    try:
                        states[name] = up.get("/health/ping")
                    except OSError as exc:
                        states[name] = f"unreachable: {exc}"
                ok = all(s == 200 for s in states.values())
                return self._json(200 if ok else 503, {"ready": ok, "services": states})
            return self._json(404, _status(404, f"no route {self.path}"))

        def _json(self, status: int, doc: dict) -> None:
            self._raw(status, json.dumps(doc).encode(), "application/json")

        def _raw(self, status: int, payload: bytes, ctype: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, fmt: str, *args) -> None:
            log.debug(fmt, *args)

    return Handler


def _status(code: int, info: str) -> dict:
    return {"status": {"status": 1, "code": code, "info": info, "reason": "ROUTER"}}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="Local Seldon-executor stand-in: model -> output transformer.")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--model", required=True, help="model microservice base URL")
    p.add_argument("--transformer", required=True, help="output transformer base URL")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    server = ThreadingHTTPServer((args.host, args.port), make_handler(Upstream(args.model), Upstream(args.transformer)))
    log.info("router on http://%s:%d -> model %s -> transformer %s", args.host, args.port, args.model, args.transformer)
    server.serve_forever()


if __name__ == "__main__":
    main()
