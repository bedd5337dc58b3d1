"""The serving image, run: its two microservices started from the image's own file system,
entry point and environment, the local router in front, plates read from unseen photos.

    bash scripts/build-images.sh serving                        # once: localhost/alpr-seldon:0.1.0
    .venv/bin/python -m bench.image_serving CHECKPOINT [--image localhost/alpr-seldon:0.1.0] [--photos 4]

`podman run` cannot start containers on machines whose sandbox forbids setting resource limits,
so each microservice runs as a pod's container would, by hand: a podman container's file system
(`podman create` + `podman mount`), its own mount and process namespaces (`unshare`), /proc and
/dev mounted, `chroot`, the image's environment and working folder, and its CMD with the
environment Seldon would set (MODEL_NAME, SERVICE_TYPE, ports). The checkpoint is copied into
the container's file system, as Seldon's model initializer would download it. Needs root.
Prints each photo's plates read next to the truth, and the image's size.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

from alpr.deployment.local import SELDON_DIR, free_ports
from alpr.synth import SynthOptions, generate_dataset

PHOTOS = SynthOptions.classic(image_sizes=[(1280, 720), (640, 480)], plates_per_image=(1, 2), regular_width=(110, 200),
                              max_rotation_deg=6.0, closeup_fraction=0.0, portrait_fraction=0.0)


def podman(*args: str) -> str:
    return subprocess.run(["podman", *args], check=True, capture_output=True, text=True).stdout.strip()


def start_microservice(image: str, model_file: Path, component: str, service_type: str, log: Path
                       ) -> tuple[subprocess.Popen, str, int]:
    """One container of ``image`` as a chroot process; gives it, its container id and HTTP port."""
    config = json.loads(podman("image", "inspect", image))[0]["Config"]
    container = podman("create", image)
    root = Path(podman("mount", container))
    (root / "mnt" / "models").mkdir(parents=True, exist_ok=True)
    shutil.copy(model_file, root / "mnt" / "models" / "model.pth")
    http, grpc, metrics = free_ports(3)
    env = dict(e.split("=", 1) for e in config.get("Env", []))
    env.update(MODEL_NAME=component, SERVICE_TYPE=service_type, MODEL_URI="/mnt/models/model.pth",
               PREDICTIVE_UNIT_HTTP_SERVICE_PORT=str(http), PREDICTIVE_UNIT_GRPC_SERVICE_PORT=str(grpc),
               PREDICTIVE_UNIT_METRICS_SERVICE_PORT=str(metrics), ALPR_MODEL_VERSION="image", HOME="/tmp")
    # what the container runtime would do: the image's working folder, environment and command
    (root / "start.sh").write_text(f"cd {shlex.quote(config.get('WorkingDir') or '/')}\nexec env -i "
                                   + " ".join(shlex.quote(f"{k}={v}") for k, v in env.items()) + " "
                                   + " ".join(shlex.quote(c) for c in config["Cmd"]) + "\n")
    script = (f"mount -t proc proc {root}/proc && mount --rbind /dev {root}/dev && "
              f"exec chroot {root} /bin/sh /start.sh")
    with open(log, "wb") as out:
        proc = subprocess.Popen(["unshare", "--mount", "--pid", "--fork", "--kill-child", "/bin/sh", "-c", script],
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    return proc, container, http


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoint", type=Path)
    p.add_argument("--image", default="localhost/alpr-seldon:0.1.0")
    p.add_argument("--photos", type=int, default=4)
    p.add_argument("--seed", type=int, default=20261130)
    args = p.parse_args()
    work = Path(tempfile.mkdtemp(prefix="alpr-image-"))
    started, containers = [], []
    try:
        for component, service_type in (("PlateDetector", "MODEL"), ("PlateReader", "TRANSFORMER")):
            proc, container, port = start_microservice(args.image, args.checkpoint, component, service_type,
                                                       work / f"{component}.log")
            started.append((proc, port))
            containers.append(container)
        (work / "routes.json").write_text(json.dumps({"model": f"http://127.0.0.1:{started[0][1]}",
                                                      "transformer": f"http://127.0.0.1:{started[1][1]}"}))
        router_port = free_ports(1)[0]
        router = subprocess.Popen([str(SELDON_DIR / ".venv" / "bin" / "python"), str(SELDON_DIR / "router.py"),
                                   "--port", str(router_port), "--routes", str(work / "routes.json")],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        started.append((router, router_port))
        _wait_ready(f"http://127.0.0.1:{router_port}/ready", [p for p, _ in started], work)
        generate_dataset(str(work / "photos"), n=args.photos, seed=args.seed, options=PHOTOS, progress=False)
        exact = total = 0
        for doc_path in sorted((work / "photos").glob("*.json")):
            doc = json.loads(doc_path.read_text())
            truth = sorted(s["description"] for s in doc["shapes"] if s["label"].endswith("_board"))
            photo = (work / "photos" / doc["imagePath"]).read_bytes()
            body = json.dumps({"binData": base64.b64encode(photo).decode()}).encode()
            request = urllib.request.Request(f"http://127.0.0.1:{router_port}/api/v1.0/predictions", data=body,
                                             headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=120) as resp:
                answer = json.loads(resp.read())["jsonData"]
            read = sorted(f"{q['shape']}:{q['text']}" for q in answer["plates"])
            exact += len(set(read) & set(truth))
            total += len(truth)
            print(f"{doc['imagePath']} {doc['imageWidth']}x{doc['imageHeight']}: read {read}, truth {truth}, "
                  f"model version {answer['model']['version']}")
        size = int(podman("image", "inspect", args.image, "--format", "{{.Size}}"))
        print(json.dumps({"image": args.image, "image_bytes": size, "plates": total, "read_exactly": exact}))
    finally:
        for proc, _ in started:
            _stop(proc)
        for container in containers:
            subprocess.run(["podman", "rm", "-f", container], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


def _stop(proc: subprocess.Popen) -> None:
    """Stop a process and everything it started (its session: the namespace's processes too)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
            proc.wait(20)
            return
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            continue


def _wait_ready(url: str, procs: list[subprocess.Popen], work: Path, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in procs):
            logs = "\n".join(f.read_text(errors="replace")[-2000:] for f in work.glob("*.log"))
            raise RuntimeError(f"a microservice exited while starting:\n{logs}")
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(1)
    raise RuntimeError(f"not ready within {timeout:.0f} s: {url}")


if __name__ == "__main__":
    main()
