"""The router on its own (standard library only): what it refuses, a client still sending reads."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from alpr.deployment.local import free_ports
from alpr.project import PROJECT_ROOT
from listening import wait_listening

LIMIT = 1000
#: far more than the loopback socket buffers hold, so the client is still sending when refused
UPLOAD = 24 * 1024 * 1024


@contextlib.contextmanager
def _running_router(folder: Path, *options: str) -> Iterator[str]:
    """The router as a subprocess with ``options``; yields its URL."""
    nowhere = free_ports(1)[0]  # nothing is asked of the microservices in these tests
    routes = folder / "routes.json"
    routes.write_text(json.dumps({"model": f"http://127.0.0.1:{nowhere}", "transformer": f"http://127.0.0.1:{nowhere}"}))
    port = free_ports(1)[0]
    proc = subprocess.Popen([sys.executable, "seldon/router.py", "--port", str(port), "--routes", str(routes),
                             "--max-body-bytes", str(LIMIT), "--name", "alpr", *options], cwd=PROJECT_ROOT)
    try:
        wait_listening(port, proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture(scope="module")
def router(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with _running_router(tmp_path_factory.mktemp("router")) as url:
        yield url


def _post(url: str, body: bytes) -> tuple[int, dict]:
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


@pytest.mark.parametrize(("path", "status", "message"), [
    ("/api/v1.0/predictions", 413, f"over the limit of {LIMIT}"),
    ("/seldon/other/api/v1.0/predictions", 404, "no deployment 'other'"),
    ("/api/v1.0/feedback", 404, "feedback is not collected"),
], ids=["over-the-limit", "other-deployment", "feedback"])
def test_a_client_still_uploading_reads_the_refusal_not_a_broken_pipe(router: str, path: str, status: int,
                                                                      message: str) -> None:
    got, doc = _post(router + path, b"x" * UPLOAD)
    assert got == status and message in doc["status"]["info"]
    with urllib.request.urlopen(router + "/live", timeout=10) as resp:
        assert resp.status == 200


def test_a_client_that_never_stops_sending_is_cut_off(router: str) -> None:
    """The refused upload is swallowed for a few seconds, not for ever."""
    host, port = router.removeprefix("http://").split(":")
    started = time.monotonic()
    with socket.create_connection((host, int(port)), timeout=30) as conn:
        conn.sendall(b"POST /api/v1.0/predictions HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999999\r\n\r\n")
        answer = b""
        with pytest.raises(OSError):  # reset or broken pipe once the router stops listening
            while time.monotonic() - started < 30:
                conn.sendall(b"x" * 65536)
                conn.setblocking(False)
                try:
                    answer += conn.recv(65536)
                except BlockingIOError:
                    pass
                conn.setblocking(True)
                conn.settimeout(30)
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert time.monotonic() - started < 20


def test_a_client_uploading_when_every_slot_is_taken_reads_503(tmp_path: Path) -> None:
    """The refusal for too many connections is sent before the request is read, so it lingers too."""
    with _running_router(tmp_path, "--max-connections", "1") as url:
        host, port = url.removeprefix("http://").split(":")
        _live_within(url, 10)  # the connection that found it listening has given its slot back
        time.sleep(0.3)
        with socket.create_connection((host, int(port))):  # holds the only slot, sends nothing
            time.sleep(0.3)
            got, doc = _post(url + "/api/v1.0/predictions", b"x" * UPLOAD)
            assert got == 503 and "too many connections" in doc["status"]["info"]
        _live_within(url, 10)  # the slot comes back once the router sees the holder gone


def _live_within(url: str, seconds: float) -> None:
    """Wait until ``GET /live`` answers 200 rather than 503 (no free connection slot)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url + "/live", timeout=10) as resp:
                assert resp.status == 200
                return
        except urllib.error.HTTPError as err:
            assert err.code == 503 and time.monotonic() < deadline
            time.sleep(0.2)
