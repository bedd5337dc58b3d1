"""Real seldon-core microservices (model + output transformer) behind the local router, over HTTP."""

from __future__ import annotations

import base64
import json
import os
import signal
import time
import urllib.error
import urllib.request
from pathlib import Path

import cv2
import numpy as np
import pytest

from alpr.model import MODEL_NAME
from alpr.deployment.local import DeploymentError, LocalDeployer, free_ports
from alpr.serving import plates_response

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
    assert set(det) == {"label", "score", "bbox", "polygon"}
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
    big = _png_bytes(480, 640)  # ~900 kB of noise, limit set to 400 kB
    got, doc = post_json(record.predict_url, {"binData": base64.b64encode(big).decode()})
    assert got == 413 and "over the limit of 400000" in doc["status"]["info"]
    got, _ = post_json(record.predict_url, {"binData": base64.b64encode(jpeg).decode()})
    assert got == 200  # still serving


def test_status_list_logs(deployment) -> None:
    deployer, record = deployment
    status = deployer.status(NAME)
    assert status["ready"] and status["processes"] == {"model": "running", "transformer": "running", "router": "running"}
    assert [r.name for r in deployer.list()] == [NAME]
    assert isinstance(deployer.logs(NAME, "router"), str)


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
    old_pids = [s.pid for s in record.services]
    port = int(record.url.rsplit(":", 1)[1])
    # a path relative to here: the microservices run elsewhere (seldon/), so it is made absolute
    new = deployer.deploy(NAME, os.path.relpath(trained.checkpoint), model_version="7", port=port)
    assert new.model_uri == str(Path(trained.checkpoint).resolve())
    assert all(not _pid_alive(p) for p in old_pids)  # no orphans from the old deployment
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
    assert "alpr_detector_requests_total" in text["model"]
    assert "alpr_detector_inference_ms_bucket" in text["model"]  # latency histogram
    assert "alpr_plates_found_total" in text["transformer"]
