"""The router on its own (standard library only): what it refuses, a client still sending reads."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from alpr.deployment.local import free_ports
from alpr.project import PROJECT_ROOT

LIMIT = 1000
#: far more than the loopback socket buffers hold, so the client is still sending when refused
UPLOAD = 24 * 1024 * 1024


@pytest.fixture(scope="module")
def router(tmp_path_factory: pytest.TempPathFactory):
    nowhere = free_ports(1)[0]  # nothing is asked of the microservices in these tests
    routes = tmp_path_factory.mktemp("router") / "routes.json"
    routes.write_text(json.dumps({"model": f"http://127.0.0.1:{nowhere}", "transformer": f"http://127.0.0.1:{nowhere}"}))
    port = free_ports(1)[0]
    proc = subprocess.Popen([sys.executable, "seldon/router.py", "--port", str(port), "--routes", str(routes),
                             "--max-body-bytes", str(LIMIT), "--name", "alpr"], cwd=PROJECT_ROOT)
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert time.monotonic() < deadline and proc.poll() is None, "the router did not start"
            time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(10)


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
