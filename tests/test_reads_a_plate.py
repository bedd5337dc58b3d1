"""A trained model reads real plates over HTTP and gRPC: the committed reference checkpoint
(``tests/fixtures/README.md``) behind the real router and seldon-core microservices, asked with
photos it never saw (generated with a seed no training used), as a client would."""

from __future__ import annotations

import base64
import json
import urllib.request
from pathlib import Path

import pytest

from alpr.deployment.local import LocalDeployer, free_ports
from alpr.synth import SynthOptions, generate_dataset

CHECKPOINT = Path(__file__).parent / "fixtures" / "alpr-detector.pth"
#: camera frames of three sizes, two plates each, 110-200 px wide, gently turned, drawn as the
#: reference model's training data was (the classic look)
PHOTOS = SynthOptions.classic(image_sizes=[(640, 480), (1920, 1080), (3840, 2160)], plates_per_image=(2, 2),
                              regular_width=(110, 200), max_rotation_deg=6.0, closeup_fraction=0.0, portrait_fraction=0.0)


@pytest.fixture(scope="module")
def reference_deployment(tmp_path_factory: pytest.TempPathFactory):
    deployer = LocalDeployer(state_dir=tmp_path_factory.mktemp("deployments"))
    port, grpc_port = free_ports(2)
    record = deployer.deploy("reference", str(CHECKPOINT), model_version="ref", port=port, grpc_port=grpc_port)
    yield record
    deployer.stop("reference")


def test_the_reference_model_reads_every_plate_of_unseen_photos_over_http(reference_deployment,
                                                                        tmp_path: Path) -> None:
    generate_dataset(str(tmp_path), n=6, seed=90210, options=PHOTOS, progress=False)
    for doc_path in sorted(tmp_path.glob("*.json")):
        doc = json.loads(doc_path.read_text())
        truth = sorted(s["description"] for s in doc["shapes"] if s["label"].endswith("_board"))
        assert len(truth) == 2
        body = json.dumps({"binData": base64.b64encode((tmp_path / doc["imagePath"]).read_bytes()).decode()})
        request = urllib.request.Request(reference_deployment.predict_url, data=body.encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=120) as resp:
            answer = json.loads(resp.read())["jsonData"]
        read = sorted(f"{p['shape']}:{p['text']}" for p in answer["plates"])
        assert read == truth, (doc_path.name, doc["imageWidth"], doc["imageHeight"])
        assert answer["model"]["version"] == "ref"


def test_the_deployment_page_shows_each_plate_read(reference_deployment, browser, screenshots: Path,
                                                   tmp_path: Path) -> None:
    """A person's view: the page of the deployment, a photo picked, every plate in the table."""
    generate_dataset(str(tmp_path), n=1, seed=777, options=PHOTOS.model_copy(update={"image_sizes": [(1280, 720)]}),
                     progress=False)
    doc = json.loads((tmp_path / "img_000000.json").read_text())
    truth = sorted(s["description"].split(":")[1] for s in doc["shapes"] if s["label"].endswith("_board"))
    page = browser.new_page(viewport={"width": 900, "height": 760})
    page.goto(f"{reference_deployment.url}/")
    page.set_input_files("#photo", str(tmp_path / "img_000000.jpg"))
    page.wait_for_selector("#plates:not([hidden])", timeout=60_000)
    assert page.inner_text("#status") == "2 plates read in img_000000.jpg (model alpr-detector vref)"
    assert sorted(page.locator("#plates td.text").all_inner_texts()) == truth
    page.screenshot(path=str(screenshots / "deployment-page-reading.png"), full_page=True)


def test_seldons_own_rest_client_reads_the_plates_with_its_cluster_paths(reference_deployment,
                                                                         tmp_path: Path) -> None:
    """seldon-core's SeldonClient, as written for a cluster (ingress prefix /seldon/[<ns>/]<name>),
    runs against the local deployment unchanged; it lives in the serving environment."""
    import subprocess
    from urllib.parse import urlparse

    from alpr.deployment.local import SELDON_DIR

    generate_dataset(str(tmp_path), n=1, seed=777, options=PHOTOS.model_copy(update={"image_sizes": [(1280, 720)]}),
                     progress=False)
    truth = sorted(s["description"].split(":")[1] for s in json.loads((tmp_path / "img_000000.json").read_text())
                   ["shapes"] if s["label"].endswith("_board"))
    endpoint = urlparse(reference_deployment.url).netloc
    code = (
        "import json, sys\n"
        "from seldon_core.seldon_client import SeldonClient\n"
        "photo = open(sys.argv[1], 'rb').read()\n"
        "out = []\n"
        "for namespace in (None, 'seldon'):\n"
        f"    client = SeldonClient(deployment_name='reference', namespace=namespace, gateway_endpoint='{endpoint}',\n"
        "                          gateway='ambassador', transport='rest', client_return_type='dict')\n"
        "    result = client.predict(bin_data=photo)\n"
        "    out.append({'success': result.success, 'msg': result.msg, 'response': result.response})\n"
        "wrong = SeldonClient(deployment_name='other', gateway_endpoint='" + endpoint + "', transport='rest',\n"
        "                     client_return_type='dict').predict(bin_data=photo)\n"
        "out.append({'success': wrong.success, 'msg': wrong.msg})\n"
        "print(json.dumps(out))\n")
    done = subprocess.run([str(SELDON_DIR / ".venv" / "bin" / "python"), "-c", code, str(tmp_path / "img_000000.jpg")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    bare, namespaced, other = json.loads(done.stdout.strip().splitlines()[-1])
    for result in (bare, namespaced):
        assert result["success"], result["msg"]
        assert sorted(p["text"] for p in result["response"]["jsonData"]["plates"]) == truth
    assert not other["success"] and other["msg"].startswith("404")  # another deployment's path


def test_seldons_own_grpc_client_reads_the_same_plates(reference_deployment, tmp_path: Path) -> None:
    """SeldonClient over gRPC (Seldon/Predict), through an ingress (metadata naming the
    deployment, with and without a namespace) and straight to the executor: the same readings as
    REST; a wrong deployment, a photo that is not one and a message over the limit get the gRPC
    status of their REST refusal, with its message."""
    import subprocess

    from alpr.deployment.local import SELDON_DIR
    from alpr.limits import max_request_bytes

    generate_dataset(str(tmp_path), n=1, seed=4242, options=PHOTOS.model_copy(update={"image_sizes": [(1920, 1080)]}),
                     progress=False)
    photo = tmp_path / "img_000000.jpg"
    body = json.dumps({"binData": base64.b64encode(photo.read_bytes()).decode()}).encode()
    request = urllib.request.Request(reference_deployment.predict_url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as resp:
        rest = json.loads(resp.read())["jsonData"]["plates"]
    truth = sorted(s["description"].split(":")[1] for s in json.loads((tmp_path / "img_000000.json").read_text())
                   ["shapes"] if s["label"].endswith("_board"))
    assert sorted(p["text"] for p in rest) == truth
    endpoint = reference_deployment.grpc_endpoint
    code = (
        "import json, sys\n"
        "from seldon_core.seldon_client import SeldonClient\n"
        "photo = open(sys.argv[1], 'rb').read()\n"
        "def call(bin_data=photo, name='reference', **kw):\n"
        "    kw.setdefault('gateway', 'ambassador')\n"
        f"    client = SeldonClient(deployment_name=name, gateway_endpoint='{endpoint}', transport='grpc',\n"
        "                          client_return_type='dict', grpc_max_send_message_length=64 << 20, **kw)\n"
        "    r = client.predict(bin_data=bin_data)\n"
        "    return {'success': r.success, 'msg': r.msg, 'response': r.response}\n"
        "print(json.dumps([call(), call(namespace='seldon'), call(gateway='seldon'), call(name='other'),\n"
        "                  call(bin_data=b'not a photo'), call(bin_data=b'x' * int(sys.argv[2]))]))\n")
    done = subprocess.run([str(SELDON_DIR / ".venv" / "bin" / "python"), "-c", code, str(photo),
                           str(max_request_bytes() + 1)], capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    *good, other, garbage, huge = json.loads(done.stdout.strip().splitlines()[-1])
    for result in good:
        assert result["success"], result["msg"]
        plates = result["response"]["jsonData"]["plates"]
        assert [(p["text"], p["shape"], p["bbox"]) for p in plates] == [(p["text"], p["shape"], p["bbox"]) for p in rest]
        assert result["response"]["jsonData"]["model"]["version"] == "ref"
    assert not other["success"] and "NOT_FOUND" in other["msg"] and "'other'" in other["msg"]
    assert not garbage["success"] and "INVALID_ARGUMENT" in garbage["msg"] and "JPEG or PNG" in garbage["msg"]
    assert not huge["success"] and "RESOURCE_EXHAUSTED" in huge["msg"]
