"""Local stand-in for the Seldon executor: one port, the same REST path, the same chain.

``POST /api/v1.0/predictions`` (also under Seldon's ingress prefix
``/seldon/[<namespace>/]<name>``) goes to the model's ``/api/v1.0/predictions`` as sent (JSON or
multipart); the model's whole SeldonMessage goes to the output transformer's
``/transform-output``; a non-200 answer from either is returned as it is. A microservice that
does not answer gives 503 (504 when it answers too slowly) with a message. Standard library
only, so it runs in any environment; with ``--grpc-port`` it also serves Seldon's gRPC API
(``grpc_gateway.py``, which needs the serving environment):

    python seldon/router.py --port 8000 --routes routes.json [--grpc-port 5001]

``GET /`` serves ``page.html``: pick or drop a photo, see every plate boxed and read.

``routes.json`` (``{"model": "http://127.0.0.1:9001", "transformer": "http://127.0.0.1:9002"}``)
is read again whenever it changes: a redeploy starts new microservices, checks them, then
rewrites the file, and the router's port never closes; ``GET /ready`` reports how many requests
still run on the previous routes (``draining``), so the old microservices stop when it is 0.

The router is the only door clients see, so it refuses what would tie it up: a body over the
limit is refused (413) before it is read, a missing or malformed length gets 411 or 400, a
client too slow to send its request gets 408, at most ``--max-connections`` are served at once
(503 beyond; as many refusals at once at most, more connections are closed unanswered), a body
that is not JSON (or multipart) gets 400, an unknown method 405. What a refused client still
sends is dropped unread for a few seconds, so that it reads the answer rather than a reset
connection.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import logging
import os
import re
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

#: Seldon's REST paths: bare, or behind the ingress prefix ``/seldon/[<namespace>/]<deployment>``
#: (what seldon-core's own SeldonClient asks for by default), so one client works here and on a cluster
SELDON_PATH = re.compile(r"^(?:/seldon/(?:(?P<namespace>[\w.-]+)/)?(?P<name>[\w.-]+))?"
                         r"(?P<api>/api/v[01]\.[01]/(?:predictions|feedback)|/predict)$")
#: ``GET /``: a page where a person picks a photo and sees its plates read (the same REST API)
PAGE = Path(__file__).with_name("page.html")
#: seconds a refused client may go on sending before its connection closes (see ``linger``)
LINGER_SECONDS = 5.0
log = logging.getLogger("alpr.router")


class ClientError(Exception):
    """A request the router answers itself with ``status`` (4xx) and a message."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


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


class Routes:
    """The model and transformer URLs from a JSON file, read again when the file changes
    (the deployer replaces it atomically). Each request holds the routes it started with to
    its end; ``draining`` counts the requests still on older routes, so that the deployer stops
    old microservices only when nothing uses them."""

    def __init__(self, path: Path, timeout: float):
        self.path, self.timeout = path, timeout
        self._stamp: int | None = None
        self._upstreams: tuple[Upstream, Upstream] | None = None
        self._generation = 0
        self._in_flight: dict[int, int] = {}
        self._lock = threading.Lock()

    def current(self) -> tuple[Upstream, Upstream]:
        with self._lock:
            return self._refresh()

    @contextlib.contextmanager
    def held(self) -> Iterator[tuple[Upstream, Upstream]]:
        """The current routes, counted as in use until the block ends."""
        with self._lock:
            upstreams, generation = self._refresh(), self._generation
            self._in_flight[generation] = self._in_flight.get(generation, 0) + 1
        try:
            yield upstreams
        finally:
            with self._lock:
                self._in_flight[generation] -= 1

    def draining(self) -> int:
        """Requests in progress on routes older than the current ones."""
        with self._lock:
            self._refresh()
            return sum(n for g, n in self._in_flight.items() if g != self._generation)

    def _refresh(self) -> tuple[Upstream, Upstream]:
        stamp = self.path.stat().st_mtime_ns
        if stamp != self._stamp:
            doc = json.loads(self.path.read_text())
            self._upstreams = (Upstream(doc["model"], self.timeout), Upstream(doc["transformer"], self.timeout))
            self._stamp = stamp
            self._generation += 1
            log.info("routes: model %s, transformer %s", doc["model"], doc["transformer"])
        return self._upstreams


class BoundedServer(ThreadingHTTPServer):
    """A thread per connection, at most ``max_connections`` at once; one more gets 503."""

    daemon_threads = True

    def __init__(self, address, handler, max_connections: int):
        super().__init__(address, handler)
        self.slots = threading.BoundedSemaphore(max_connections)
        self.refusals = threading.BoundedSemaphore(max_connections)

    def process_request(self, request, client_address) -> None:
        if not self.slots.acquire(blocking=False):
            if self.refusals.acquire(blocking=False):
                threading.Thread(target=self._refuse, args=(request,), daemon=True).start()
            else:  # a flood: as many refusals already linger as connections are served
                self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def _refuse(self, request) -> None:
        """Answer 503 and linger (a client may be sending a body): in a thread of its own, so
        the accept loop never waits on the client it refuses."""
        body = json.dumps(_status(503, "too many connections; retry shortly")).encode()
        try:
            request.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                            b"Connection: close\r\nRetry-After: 1\r\nContent-Length: %d\r\n\r\n%s"
                            % (len(body), body))
            linger(request)
        except OSError:
            pass
        finally:
            self.shutdown_request(request)
            self.refusals.release()

    def process_request_thread(self, request, client_address) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()


def make_handler(routes: Routes, max_body: int, client_timeout: float, deployment: str = "alpr"
                 ) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        default_request_version = "HTTP/1.0"  # a garbled request line still gets a status line and headers
        timeout = client_timeout  # seconds a client may take between bytes (read by StreamRequestHandler)
        body_unread = False  # a refusal left the request's body unread: linger before closing

        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            self.body_unread = True
            try:
                self._check_route(self.path.split("?")[0])
                body = self._read_body()
                self.body_unread = False
                content_type = self.headers.get("Content-Type", "application/json")
                if "multipart/form-data" not in content_type:
                    _check_json(body)
                self._predict(body, content_type)
            except ClientError as err:
                self._json(err.status, _status(err.status, err.message))
            except TimeoutError:
                self.close_connection = True
                self._json(408, _status(408, f"request body not received within {client_timeout:.0f} s"))

        def do_GET(self) -> None:  # noqa: N802
            if self.path.split("?")[0] in ("/", "/index.html"):
                return self._raw(200, PAGE.read_bytes(), "text/html; charset=utf-8")
            if self.path in ("/health/ping", "/live"):
                return self._raw(200, b"pong", "text/plain")
            if self.path in ("/health/status", "/ready"):
                model, transformer = routes.current()
                states = {}
                for name, up in (("model", model), ("transformer", transformer)):
                    try:
                        states[name] = up.get("/health/ping")
                    except OSError as exc:
                        states[name] = f"unreachable: {exc}"
                ok = all(s == 200 for s in states.values())
                doc = {"ready": ok, "services": states, "routes": {"model": model.url, "transformer": transformer.url},
                       "draining": routes.draining()}
                return self._json(200 if ok else 503, doc)
            return self._json(404, _status(404, f"no route {self.path}"))

        def _check_route(self, path: str) -> None:
            """A prediction path for this deployment, else a 4xx (its body stays unread)."""
            match = SELDON_PATH.match(path)
            if match is None:
                self.close_connection = True
                raise ClientError(404, f"no route {path}; POST /api/v1.0/predictions "
                                       f"(or /seldon/{deployment}/api/v1.0/predictions)")
            if match["name"] is not None and match["name"] != deployment:
                self.close_connection = True
                raise ClientError(404, f"no deployment {match['name']!r} here; this is {deployment!r}")
            if match["api"].endswith("/feedback"):
                self.close_connection = True
                raise ClientError(404, "feedback is not collected by this deployment (it has no feedback "
                                       "routing or reward metrics); POST predictions only")

        def __getattr__(self, name: str):
            if name.startswith("do_"):  # any other method: 405, not http.server's 501
                return self._not_allowed
            raise AttributeError(name)

        def _not_allowed(self) -> None:
            self.body_unread = True
            self.close_connection = True
            self._json(405, _status(405, f"method {self.command} not allowed: GET /ready or POST /api/v1.0/predictions"))

        def _read_body(self) -> bytes:
            if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                return self._read_chunked()
            raw = self.headers.get("Content-Length")
            if raw is None:
                self.close_connection = True
                raise ClientError(411, "Content-Length (or Transfer-Encoding: chunked) is required")
            if not raw.strip().isdigit():
                self.close_connection = True
                raise ClientError(400, f"Content-Length {raw!r} is not a number of bytes")
            length = int(raw)
            if length > max_body:
                self.close_connection = True
                raise ClientError(413, f"request body of {length} bytes is over the limit of {max_body}")
            if length == 0:
                raise ClientError(400, "empty request body: send {\"binData\": \"<base64 image>\"}")
            body = self.rfile.read(length)
            if len(body) < length:
                self.close_connection = True
                raise ClientError(400, f"request body ended after {len(body)} of {length} bytes")
            return body

        def _read_chunked(self) -> bytes:
            body = bytearray()
            while True:
                line = self.rfile.readline(1024)
                try:
                    size = int(line.split(b";")[0].strip(), 16)
                except ValueError:
                    size = -1
                if size < 0:
                    self.close_connection = True
                    raise ClientError(400, f"malformed chunk size {line[:40]!r} in a chunked body")
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    if not body:
                        raise ClientError(400, "empty request body: send {\"binData\": \"<base64 image>\"}")
                    return bytes(body)
                if len(body) + size > max_body:
                    self.close_connection = True
                    raise ClientError(413, f"chunked request body over the limit of {max_body} bytes")
                chunk = self.rfile.read(size)
                if len(chunk) < size:
                    self.close_connection = True
                    raise ClientError(400, "chunked request body ended inside a chunk")
                body += chunk
                self.rfile.readline(8)  # the CRLF after the chunk

        def _predict(self, body: bytes, content_type: str) -> None:
            self._raw(*predict_chain(routes, body, content_type))

        def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
            """http.server's own refusals (garbled request line, headers too long) in our JSON form;
            a request line of another HTTP version is the client's fault too (400, not 505)."""
            self.close_connection = True
            message = message or HTTPStatus(code).phrase
            self._json(400 if code == 505 else code, _status(400 if code == 505 else code, message))

        def _json(self, status: int, doc: dict) -> None:
            self._raw(status, json.dumps(doc).encode(), "application/json")

        def _raw(self, status: int, payload: bytes, ctype: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(payload)))
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(payload)

        def finish(self) -> None:
            super().finish()
            if self.close_connection and self.body_unread:
                linger(self.connection)

        def log_message(self, fmt: str, *args) -> None:
            log.debug(fmt, *args)

    return Handler


def linger(sock: socket.socket, seconds: float = LINGER_SECONDS) -> None:
    """Read and drop what a refused client still sends, for at most ``seconds``, after the answer.

    Closing a socket with unread bytes makes the kernel reset the connection, and a client still
    sending its body (a 413, a wrong path) then gets a broken pipe instead of our answer. Like a
    web server's lingering close: stop writing, so the client sees the whole answer, and swallow
    its upload until it stops or the time is up."""
    deadline = time.monotonic() + seconds
    try:
        sock.shutdown(socket.SHUT_WR)
        while (left := deadline - time.monotonic()) > 0:
            sock.settimeout(left)
            if not sock.recv(1 << 16):
                return
    except OSError:  # the client left, or took too long
        pass


def predict_chain(routes: Routes, body: bytes, content_type: str = "application/json") -> tuple[int, bytes, str]:
    """A request through the model, then its answer through the output transformer: the
    status, body and content type to answer with (REST and gRPC alike)."""
    started = time.perf_counter()
    with routes.held() as (model, transformer):
        status, payload, ctype = _call(model, "model microservice", "/api/v1.0/predictions", body, content_type)
        if status == 200:
            status, payload, ctype = _call(transformer, "transformer", "/transform-output", payload, "application/json")
    log.info("predict %d in %.1f ms", status, (time.perf_counter() - started) * 1000)
    return status, payload, ctype


def _call(upstream: Upstream, what: str, path: str, body: bytes, content_type: str) -> tuple[int, bytes, str]:
    """POST to a microservice; an answer it cannot give becomes 503 or 504 with a message."""
    try:
        return upstream.post(path, body, content_type)
    except TimeoutError:
        doc = _status(504, f"{what} at {upstream.url} did not answer within {upstream.timeout:.0f} s")
    except OSError as exc:
        doc = _status(503, f"{what} at {upstream.url} is not reachable: {exc}")
    except http.client.HTTPException as exc:
        doc = _status(502, f"{what} at {upstream.url} gave a broken answer: {exc!r}")
    return doc["status"]["code"], json.dumps(doc).encode(), "application/json"


def _check_json(body: bytes) -> None:
    try:
        doc = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ClientError(400, f"request body is not JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise ClientError(400, "request body must be a JSON object: {\"binData\": \"<base64 image>\"}")


def _status(code: int, info: str) -> dict:
    return {"status": {"status": 1, "code": code, "info": info, "reason": "ROUTER"}}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="Local Seldon-executor stand-in: model -> output transformer.")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--routes", type=Path, required=True, help="JSON file: {\"model\": URL, \"transformer\": URL}")
    p.add_argument("--name", default="alpr", help="the deployment's name, as in /seldon/<name>/api/v1.0/predictions")
    p.add_argument("--max-body-bytes", type=int, default=28 * 1024 * 1024)
    p.add_argument("--max-connections", type=int, default=32)
    p.add_argument("--client-timeout", type=float, default=30.0, help="seconds a client may pause while sending")
    p.add_argument("--upstream-timeout", type=float, default=120.0, help="seconds a microservice may take")
    p.add_argument("--grpc-port", type=int, default=0,
                   help="also serve Seldon's gRPC API (Seldon/Predict) on this port (0: no gRPC)")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    routes = Routes(args.routes.resolve(), args.upstream_timeout)
    routes.current()  # a missing or broken routes file fails now, not at the first request
    handler = make_handler(routes, args.max_body_bytes, args.client_timeout, args.name)
    server = BoundedServer((args.host, args.port), handler, args.max_connections)
    if args.grpc_port:
        from grpc_gateway import start_grpc  # grpcio and seldon-core's protos: the serving environment

        grpc_server = start_grpc(args.host, args.grpc_port, lambda body: predict_chain(routes, body)[:2], args.name,
                                 args.max_body_bytes, args.max_connections)  # kept: a dropped server stops
        log.info("gRPC (Seldon/Predict) on %s:%d", args.host, args.grpc_port)
    log.info("router on http://%s:%d (pid %d), routes from %s", args.host, args.port, os.getpid(), args.routes)
    server.serve_forever()
    if args.grpc_port:
        grpc_server.stop(grace=5)


if __name__ == "__main__":
    main()
