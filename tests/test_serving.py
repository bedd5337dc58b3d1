"""Real seldon-core microservices (model + output transformer) behind the local router, over HTTP."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import cv2
import numpy as np
import pytest

from alpr.deployment.local import DeploymentError, LocalDeployer, free_ports
from alpr.model import MODEL_NAME
from alpr.project import PROJECT_ROOT
from alpr.serving import plates_response
from listening import wait_listening

NAME = "test-alpr"



def post(url: str, body: bytes, content_type: str = "application/json") -> tuple[int, dict]:
    req = urllib.request.Request(url, data=body, headers={"Content-Type": content_type}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=120) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def post_json(url: str, doc: dict) -> tuple[int, dict]:
    return post(url, json.dumps(doc).encode())


@pytest.fixture(scope="module")
def deployment(trained, tmp_path_factory: pytest.TempPathFactory):
    saved = {k: os.environ.get(k) for k in ("ALPR_SCORE_THRESHOLD", "ALPR_MAX_IMAGE_BYTES")}
    os.environ["ALPR_SCORE_THRESHOLD"] = "0.0"  # an untrained model: keep every detection
    os.environ["ALPR_MAX_IMAGE_BYTES"] = "400000"
    deployer = LocalDeployer(state_dir=tmp_path_factory.mktemp("deployments"))
    record = deployer.deploy(NAME, str(trained.checkpoint), model_version="7", port=free_ports(1)[0])
    yield deployer, record
    deployer.stop(NAME)
    for key, value in saved.items():
        os.environ.pop(key, None) if value is None else os.environ.__setitem__(key, value)


@pytest.fixture(scope="module")
def jpeg(tiny_dataset: Path) -> bytes:
    return next((tiny_dataset / "images").glob("*.jpg")).read_bytes()


def test_bin_data_returns_plates_and_model(deployment, jpeg: bytes) -> None:
    _, record = deployment
    status, doc = post_json(record.predict_url, {"binData": base64.b64encode(jpeg).decode()})
    assert status == 200, doc
    assert isinstance(doc["jsonData"]["plates"], list)
    assert doc["jsonData"]["model"] == {"name": MODEL_NAME, "version": "7"}  # the model, not the deployment
    assert "meta" in doc


def test_all_request_forms_agree(deployment, jpeg: bytes) -> None:
    _, record = deployment
    b64 = base64.b64encode(jpeg).decode()
    _, as_bin = post_json(record.predict_url, {"binData": b64})
    _, as_json = post_json(record.predict_url, {"jsonData": {"image": b64}})
    boundary = "alprboundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"binData\"; filename=\"a.jpg\"\r\n"
            f"Content-Type: image/jpeg\r\n\r\n").encode() + jpeg + f"\r\n--{boundary}--\r\n".encode()
    status, as_form = post(record.predict_url, body, f"multipart/form-data; boundary={boundary}")
    assert status == 200, as_form
    assert as_bin["jsonData"] == as_json["jsonData"] == as_form["jsonData"]


def test_transformer_output_is_postprocess_of_model_output(deployment, jpeg: bytes) -> None:
    _, record = deployment
    model = next(s for s in record.services if s.name == "model")
    status, model_doc = post_json(f"http://127.0.0.1:{model.http_port}/api/v1.0/predictions",
                                  {"binData": base64.b64encode(jpeg).decode()})
    assert status == 200 and model_doc["jsonData"]["detections"], "untrained model at threshold 0 detects something"
    det = model_doc["jsonData"]["detections"][0]
    assert {"label", "score", "bbox", "polygon"} <= set(det) <= {"label", "score", "bbox", "polygon", "text", "text_score"}
    _, routed = post_json(record.predict_url, {"binData": base64.b64encode(jpeg).decode()})
    assert routed["jsonData"] == plates_response(model_doc)


def test_transformer_reads_a_perfect_plate(deployment) -> None:
    """The real transformer microservice, fed detections of a known plate, reads it exactly."""
    _, record = deployment
    transformer = next(s for s in record.services if s.name == "transformer")
    dets = [{"label": "l_board", "score": 0.99, "bbox": [10, 10, 190, 50], "polygon": None}]
    xs = [10 + 10 + i * 20 + (10 if i >= 3 else 0) for i in range(7)]
    for ch, x in zip("42c0815", xs):
        dets.append({"label": ch, "score": 0.9, "bbox": [x, 18, x + 16, 42], "polygon": None})
    message = {"jsonData": {"detections": dets, "model": {"name": "m", "version": "1"}}, "meta": {"puid": "x"}}
    status, doc = post_json(f"http://127.0.0.1:{transformer.http_port}/transform-output", message)
    assert status == 200, doc
    (plate,) = doc["jsonData"]["plates"]
    assert (plate["text"], plate["shape"], plate["region"], plate["vehicle_type"], plate["serial"]) == (
        "42C0815", "long", "42", "C", "0815")
    assert plate["bbox"] == [10.0, 10.0, 190.0, 50.0] and plate["center"] == [100.0, 30.0]


def test_transformer_reads_the_plate_readers_text_and_refuses_a_malformed_one(deployment) -> None:
    _, record = deployment
    transformer = next(s for s in record.services if s.name == "transformer")
    url = f"http://127.0.0.1:{transformer.http_port}/transform-output"
    board = {"label": "r_board", "score": 0.9, "bbox": [10, 10, 110, 80], "polygon": None,
             "text": "07e4711", "text_score": 0.5}
    status, doc = post_json(url, {"jsonData": {"detections": [board], "model": {}}})
    assert status == 200, doc
    (plate,) = doc["jsonData"]["plates"]
    assert (plate["text"], plate["shape"], plate["score"]) == ("07E4711", "regular", 0.45)
    status, doc = post_json(url, {"jsonData": {"detections": [{**board, "text": "<script>"}], "model": {}}})
    assert status == 400 and "'<script>' is no plate text" in doc["status"]["info"]


def _png_bytes(h: int, w: int) -> bytes:
    noise = np.random.default_rng(0).integers(0, 256, (h, w, 3), dtype=np.uint8)
    return cv2.imencode(".png", noise)[1].tobytes()


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (b"", 400, "empty request body"),
        (json.dumps({"binData": base64.b64encode(b"hello, not an image").decode()}).encode(), 400, "not a JPEG or PNG"),
        (json.dumps({"jsonData": {"img": "abc"}}).encode(), 400, "jsonData must be"),
        (json.dumps({"jsonData": {"image": "***"}}).encode(), 400, "not valid base64"),
    ],
    ids=["empty-body", "not-an-image", "wrong-json-shape", "bad-base64"],
)
def test_bad_requests_get_4xx_with_message(deployment, body: bytes, status: int, message: str) -> None:
    _, record = deployment
    got, doc = post(record.predict_url, body)
    assert got == status, doc
    assert message in json.dumps(doc)


def test_truncated_and_oversized_images_rejected_server_stays_up(deployment, jpeg: bytes) -> None:
    _, record = deployment
    got, doc = post_json(record.predict_url, {"binData": base64.b64encode(jpeg[: len(jpeg) // 2]).decode()})
    assert got == 400 and "truncated" in doc["status"]["info"]
    big = _png_bytes(480, 640)  # ~900 kB of noise, limit set to 400 kB: the router refuses the body unread
    got, doc = post_json(record.predict_url, {"binData": base64.b64encode(big).decode()})
    assert got == 413 and "request body of" in doc["status"]["info"]
    just_over = _png_bytes(300, 460)  # fits the body the router admits, not the image limit
    assert 400_000 < len(just_over) < 440_000
    got, doc = post_json(record.predict_url, {"binData": base64.b64encode(just_over).decode()})
    assert got == 413 and "over the limit of 400000" in doc["status"]["info"]
    got, _ = post_json(record.predict_url, {"binData": base64.b64encode(jpeg).decode()})
    assert got == 200  # still serving


def test_status_list_logs(deployment) -> None:
    deployer, record = deployment
    status = deployer.status(NAME)
    assert status["ready"] and status["processes"] == {"model": "running", "transformer": "running", "router": "running"}
    assert [r.name for r in deployer.list()] == [NAME]
    assert f"router on http://127.0.0.1:{record.port}" in deployer.logs(NAME, "router")


def test_dead_model_gives_503_then_redeploy_recovers(deployment, jpeg: bytes, trained) -> None:
    deployer, record = deployment
    model = next(s for s in record.services if s.name == "model")
    os.killpg(model.pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while model.alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    got, doc = post_json(record.predict_url, {"binData": base64.b64encode(jpeg).decode()})
    assert got == 503 and "model microservice" in doc["status"]["info"] and "not reachable" in doc["status"]["info"]
    assert deployer.status(NAME)["processes"]["model"] == "dead"
    old_pids = [s.pid for s in record.services if s.name != "router"]
    # a path relative to here: the microservices run elsewhere (seldon/), so it is made absolute
    new = deployer.deploy(NAME, os.path.relpath(trained.checkpoint), model_version="7", port=record.port)
    assert new.model_uri == str(Path(trained.checkpoint).resolve())
    assert all(not _pid_alive(p) for p in old_pids)  # no orphans from the old deployment
    assert new.service("router").pid == record.service("router").pid  # its port never closed
    got, _ = post_json(new.predict_url, {"binData": base64.b64encode(jpeg).decode()})
    assert got == 200


def test_missing_model_file_named_and_running_deployment_kept(deployment, jpeg: bytes) -> None:
    deployer, _ = deployment
    record = deployer.get(NAME)
    with pytest.raises(DeploymentError, match="model file no/such/model.pth not found"):
        deployer.deploy(NAME, "no/such/model.pth", port=free_ports(1)[0])
    assert deployer.status(NAME)["processes"] == {"model": "running", "transformer": "running", "router": "running"}
    got, _ = post_json(record.predict_url, {"binData": base64.b64encode(jpeg).decode()})
    assert got == 200


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split(") ")[-1].split()[0] != "Z"


def test_prometheus_metrics(deployment, jpeg: bytes) -> None:
    deployer, _ = deployment
    record = deployer.get(NAME)  # the current processes (an earlier test redeploys)
    post_json(record.predict_url, {"binData": base64.b64encode(jpeg).decode()})
    text = {}
    for svc in record.services:
        if svc.metrics_port:
            with urllib.request.urlopen(f"http://127.0.0.1:{svc.metrics_port}/metrics", timeout=10) as resp:
                text[svc.name] = resp.read().decode()
    targets = json.loads((deployer.state_dir / NAME / "prometheus.json").read_text())  # file_sd for Prometheus
    assert {t["labels"]["service"]: t["targets"] for t in targets} == {
        s.name: [f"127.0.0.1:{s.metrics_port}"] for s in record.services if s.metrics_port}
    version = record.model_version
    assert re.search(rf'alpr_detector_requests_total\{{[^}}]*served_model_version="{version}"', text["model"]), text["model"]
    assert "alpr_detector_inference_ms_bucket" in text["model"]  # latency histogram
    assert re.search(rf'alpr_plates_found_total\{{[^}}]*served_model_version="{version}"', text["transformer"])


# -- the page a person uses, in a real browser (Debian's chromium driven by Playwright) --

def test_the_deployment_page_reads_a_photo_and_shows_errors(deployment, browser, screenshots: Path, jpeg: bytes,
                                                              tmp_path: Path) -> None:
    deployer, _ = deployment
    record = deployer.get(NAME)
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    page.goto(f"{record.url}/")
    assert page.title() == "ALPR: read the plates of a photo"
    photo = tmp_path / "car.jpg"
    photo.write_bytes(jpeg)
    page.set_input_files("#photo", str(photo))
    page.wait_for_function("document.getElementById('status').textContent.includes('(model')", timeout=60_000)
    status = page.inner_text("#status")
    assert re.fullmatch(rf"(No plates found|\d+ plates? read) in car\.jpg \(model {MODEL_NAME} v\d+\)", status), status
    page.wait_for_selector("canvas#view", state="visible")  # the photo, drawn with its plates boxed
    page.screenshot(path=str(screenshots / "deployment-page.png"), full_page=True)

    not_a_photo = tmp_path / "notes.png"
    not_a_photo.write_bytes(b"these are notes, not a picture")
    page.set_input_files("#photo", str(not_a_photo))
    page.wait_for_selector("#status.error", timeout=60_000)
    assert page.inner_text("#status") == "Error 400: binData is not a JPEG or PNG image"
    assert not page.is_visible("canvas#view")


# -- hostile requests, sent as raw bytes so that malformed headers reach the router as written --

def send_raw(port: int, raw: bytes, timeout: float = 30.0) -> tuple[int, str]:
    """Send ``raw`` to 127.0.0.1:``port``; the answer's status and body (0, "" if none came)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
        conn.sendall(raw)
        answer = b""
        try:
            while chunk := conn.recv(65536):
                answer += chunk
                head, _, body = answer.partition(b"\r\n\r\n")
                length = re.search(rb"Content-Length: (\d+)", head)
                if length and len(body) >= int(length.group(1)):
                    break
        except ConnectionResetError:
            pass
    if not answer:
        return 0, ""
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), body.decode(errors="replace")


def _head(extra: str, method: str = "POST", path: str = "/api/v1.0/predictions") -> bytes:
    return f"{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n{extra}\r\n".encode()


@pytest.mark.parametrize(("raw", "status", "message"), [
    (_head("Content-Length: -1\r\n"), 400, "not a number of bytes"),
    (_head("Content-Length: abc\r\n"), 400, "not a number of bytes"),
    (_head("Content-Length: 999999999999\r\n"), 413, "over the limit"),
    (_head(""), 411, "Content-Length"),
    (_head("Content-Length: 12\r\n") + b'{"binData": ', 400, "not JSON"),
    (_head("Content-Length: 2\r\n") + b"[]", 400, "JSON object"),
    (_head("Content-Length: 17\r\n") + b'{"binData": "abc"', 400, "not JSON"),
    (_head("Content-Length: 0\r\n", method="PUT"), 405, "not allowed"),
    (_head("Content-Length: 0\r\n", method="BREW"), 405, "not allowed"),
    (b"\x16\x03\x01 not http at all\r\n\r\n", 400, "Bad request"),
    (b"POST /api/v1.0/predictions HTTP/2.0\r\n\r\n", 400, "HTTP version"),
    (_head("Content-Length: 2\r\n", path="/api/v1.0/feedback") + b"{}", 404, "feedback is not collected"),
    (_head("Content-Length: 2\r\n", path="/seldon/other/api/v1.0/predictions") + b"{}", 404,
     "no deployment 'other' here"),
], ids=["negative-length", "length-abc", "huge-length", "no-length", "cut-json", "json-list", "unclosed-json",
        "put", "unknown-method", "garbage", "http2-line", "feedback", "other-deployment"])
def test_router_answers_malformed_requests_with_4xx(deployment, jpeg: bytes, raw: bytes, status: int,
                                                     message: str) -> None:
    deployer, _ = deployment
    record = deployer.get(NAME)
    got, body = send_raw(record.port, raw)
    assert got == status, body
    assert message in body
    assert post_json(record.predict_url, {"binData": base64.b64encode(jpeg).decode()})[0] == 200  # still up


def test_invalid_base64_in_bin_data_is_400_not_500(deployment) -> None:
    deployer, _ = deployment
    record = deployer.get(NAME)
    for target in (record.predict_url, f"http://127.0.0.1:{record.service('model').http_port}/api/v1.0/predictions"):
        got, doc = post_json(target, {"binData": "abc"})
        assert got == 400 and "binData is not valid base64" in doc["status"]["info"], (target, doc)


def test_chunked_upload_is_read(deployment, jpeg: bytes) -> None:
    deployer, _ = deployment
    record = deployer.get(NAME)
    body = json.dumps({"binData": base64.b64encode(jpeg).decode()}).encode()
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 5000]), body[i:i + 5000]) for i in range(0, len(body), 5000))
    got, answer = send_raw(record.port, _head("Transfer-Encoding: chunked\r\n") + chunks + b"0\r\n\r\n")
    assert got == 200 and json.loads(answer)["jsonData"]["model"]["version"] == "7"


def test_slow_clients_time_out_and_connections_are_bounded(deployment, tmp_path: Path) -> None:
    """Routers of their own (same microservices): one with a 1 s client timeout, one with 2
    connections and a long timeout (``_holding_slots`` listens 1 s to each idle connection before
    it counts as holding a slot: with a 1 s timeout the router would close it)."""
    deployer, _ = deployment
    record = deployer.get(NAME)
    routes = tmp_path / "routes.json"
    routes.write_text(json.dumps({"model": f"http://127.0.0.1:{record.service('model').http_port}",
                                  "transformer": f"http://127.0.0.1:{record.service('transformer').http_port}"}))

    @contextlib.contextmanager
    def router(*options: str):
        port = free_ports(1)[0]
        process = subprocess.Popen([str(deployer.python), "seldon/router.py", "--port", str(port), "--routes",
                                    str(routes), *options], cwd=PROJECT_ROOT)
        try:
            wait_listening(port)
            yield port
        finally:
            process.terminate()
            process.wait(10)

    with router("--client-timeout", "1") as port:
        started = time.monotonic()
        got, body = send_raw(port, _head("Content-Length: 100\r\n") + b'{"binData": ')  # and then nothing
        assert got == 408 and "not received within 1 s" in body
        assert time.monotonic() - started < 10
    with router("--client-timeout", "60", "--max-connections", "2") as port:
        idle = _holding_slots(port, 2)
        try:
            got, body = send_raw(port, b"GET /live HTTP/1.1\r\nHost: x\r\n\r\n")
            assert got == 503 and "too many connections" in body
        finally:
            for conn in idle:
                conn.close()
        time.sleep(1.5)
        assert send_raw(port, b"GET /live HTTP/1.1\r\nHost: x\r\n\r\n")[0] == 200  # slots freed


def _holding_slots(port: int, n: int) -> list[socket.socket]:
    """``n`` idle connections, each holding one of the router's slots. A connection comes too
    early while an earlier one still holds its slot (``wait_listening``'s probe, whose handler may
    not have ended yet on a loaded machine): it is refused with a 503 at once, and opened again."""
    held: list[socket.socket] = []
    deadline = time.monotonic() + 30
    while len(held) < n:
        assert time.monotonic() < deadline, "the router refused idle connections for 30 s"
        conn = socket.create_connection(("127.0.0.1", port))
        conn.settimeout(1.0)
        try:
            conn.recv(1)  # a refusal answers at once; a connection holding a slot hears nothing
        except TimeoutError:
            conn.settimeout(None)
            held.append(conn)
            continue
        conn.close()
    return held


def test_microservices_listen_on_loopback_only_and_get_no_secrets(deployment, monkeypatch) -> None:
    deployer, _ = deployment
    record = deployer.get(NAME)
    listening = _listening_addresses()
    for svc in record.services:
        ports = [svc.http_port] + ([svc.metrics_port] if svc.metrics_port else [])
        for port in ports:
            assert listening.get(port) == "127.0.0.1", (svc.name, port, listening.get(port))
    environ = Path(f"/proc/{record.service('model').pid}/environ").read_bytes().split(b"\0")
    names = {item.split(b"=", 1)[0].decode() for item in environ if item}
    assert "MODEL_URI" in names and "ALPR_CATALOG_PASSWORD" not in names and "ZENML_CONFIG_PATH" not in names


def _listening_addresses() -> dict[int, str]:
    """Port -> IPv4 address of every listening TCP socket of this machine (/proc/net/tcp)."""
    out = {}
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[3] != "0A":  # LISTEN
            continue
        address, port = fields[1].split(":")
        out[int(port, 16)] = socket.inet_ntoa(bytes.fromhex(address)[::-1])
    return out


# -- redeploys: the running deployment serves until the new one answers --

def test_failed_redeploys_keep_the_old_model_serving(deployment, jpeg: bytes, trained, tmp_path: Path) -> None:
    deployer, _ = deployment
    record = deployer.get(NAME)
    body = {"binData": base64.b64encode(jpeg).decode()}
    groups_before = _serving_process_groups()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        with pytest.raises(DeploymentError, match=f"port {busy.getsockname()[1]} is in use.*keeps serving"):
            deployer.deploy(NAME, str(trained.checkpoint), model_version="8", port=busy.getsockname()[1])
        with pytest.raises(DeploymentError, match=f"port {busy.getsockname()[1]} is in use.*--grpc-port"):
            deployer.deploy(f"{NAME}-grpc", str(trained.checkpoint), port=free_ports(1)[0],
                            grpc_port=busy.getsockname()[1])
    corrupt = tmp_path / "corrupt.pth"
    corrupt.write_bytes(b"not a checkpoint" * 100)
    with pytest.raises(DeploymentError, match="model process exited while starting"):
        deployer.deploy(NAME, str(corrupt), model_version="8", port=record.port)
    with pytest.raises(DeploymentError, match="did not answer a test prediction within 1 s"):
        deployer.deploy(NAME, str(trained.checkpoint), model_version="8", port=record.port, ready_timeout=1)
    assert deployer.get(NAME).services == record.services  # the same processes, untouched
    got, doc = post_json(record.predict_url, body)
    assert got == 200 and doc["jsonData"]["model"]["version"] == "7"
    assert _serving_process_groups() == groups_before  # nothing left of the failed attempts


def test_redeploy_switches_without_closing_the_port(deployment, jpeg: bytes, trained) -> None:
    deployer, _ = deployment
    old = deployer.get(NAME)
    body = {"binData": base64.b64encode(jpeg).decode()}
    answers: list[int] = []
    stop = threading.Event()

    def client() -> None:  # asks all through the redeploy
        while not stop.is_set():
            answers.append(post_json(old.predict_url, body)[0])

    thread = threading.Thread(target=client)
    thread.start()
    try:
        # asking for gRPC too: the kept router keeps what it serves (none), with a warning
        new = deployer.deploy(NAME, str(trained.checkpoint), model_version="9", port=old.port,
                              grpc_port=free_ports(1)[0])
    finally:
        stop.set()
        thread.join()
    assert answers and set(answers) == {200}  # never an error while switching
    assert new.service("router").pid == old.service("router").pid
    assert new.grpc_port == old.grpc_port == 0 and new.grpc_endpoint is None
    assert not old.service("model").alive() and not old.service("transformer").alive()
    got, doc = post_json(new.predict_url, body)
    assert got == 200 and doc["jsonData"]["model"]["version"] == "9"


def test_stop_never_signals_a_process_that_is_not_ours(tmp_path: Path) -> None:
    """A recorded process id that now names another process (ids are reused) is left alone."""
    stranger = subprocess.Popen(["sleep", "60"], start_new_session=True)
    try:
        deployer = LocalDeployer(state_dir=tmp_path)
        folder = tmp_path / "ghost"
        folder.mkdir()
        (folder / "deployment.json").write_text(json.dumps({
            "name": "ghost", "model_uri": "m.pth", "model_version": "1", "url": "http://127.0.0.1:1",
            "created": "", "workers": 1,
            "services": [{"name": "router", "pid": stranger.pid, "http_port": 1, "log_file": "", "command": [],
                          "identity": "another-boot/12345"}]}))
        assert deployer.status("ghost")["processes"] == {"router": "dead"}
        assert deployer.stop("ghost") is False
        assert stranger.poll() is None  # still running
    finally:
        stranger.kill()
        stranger.wait()


@pytest.mark.parametrize("name", ["../x", "a/b", "", "UPPER", "-x", "x" * 64])
def test_deployment_names_cannot_escape_their_folder(name: str, tmp_path: Path) -> None:
    from pydantic import ValidationError

    from alpr.deployment.settings import DeploySettings

    deployer = LocalDeployer(state_dir=tmp_path / "deployments")
    with pytest.raises(DeploymentError, match="not allowed"):
        deployer.deploy(name, "m.pth")
    with pytest.raises(DeploymentError, match="not allowed"):
        deployer.stop(name)
    with pytest.raises(ValidationError):
        DeploySettings(name=name)
    assert not (tmp_path / "x").exists() and not (tmp_path / "deployments").exists()


def _serving_process_groups() -> set[int]:
    """Process groups of this machine's microservices started from this project."""
    groups = set()
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if str(PROJECT_ROOT / "seldon" / "serve.py") in cmdline:
                groups.add(int((proc / "stat").read_text().rsplit(")", 1)[1].split()[2]))
        except (OSError, ValueError):
            continue
    return groups
