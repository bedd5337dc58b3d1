"""Local deployments: the Seldon model and transformer microservices plus the router, as
background processes of this machine, tracked in a small registry under ``.zenml/deployments/``.

Each deployment gets a folder with ``deployment.json`` (ports, process ids, model) and one log
file per process. Redeploying a name stops its old processes first (whole process groups, so
gunicorn workers go too); a process that died is reported as such by ``status``.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from alpr.model import MODEL_NAME
from alpr.project import PROJECT_ROOT, zenml_config_path

SELDON_DIR = PROJECT_ROOT / "seldon"


class DeploymentError(RuntimeError):
    pass


@dataclass
class ServiceProcess:
    name: str  # model | transformer | router
    pid: int
    http_port: int
    log_file: str
    command: list[str]
    metrics_port: int = 0  # Prometheus metrics at http://127.0.0.1:<metrics_port>/metrics

    def alive(self) -> bool:
        try:
            os.kill(self.pid, 0)
        except OSError:
            return False
        try:  # a zombie is not alive
            state = Path(f"/proc/{self.pid}/stat").read_text().split(") ")[-1].split()[0]
            return state != "Z"
        except OSError:
            return True


@dataclass
class DeploymentRecord:
    name: str
    model_uri: str
    model_version: str
    url: str
    created: str
    workers: int
    services: list[ServiceProcess] = field(default_factory=list)

    @property
    def predict_url(self) -> str:
        return f"{self.url}/api/v1.0/predictions"

    @classmethod
    def from_dict(cls, doc: dict) -> "DeploymentRecord":
        services = [ServiceProcess(**s) for s in doc.pop("services", [])]
        return cls(**doc, services=services)


class LocalDeployer:
    """Start, inspect and stop local Seldon deployments."""

    def __init__(self, state_dir: Path | None = None, python: Path | None = None):
        self.state_dir = state_dir or zenml_config_path() / "deployments"
        self.python = python or Path(os.environ.get("ALPR_SERVING_PYTHON", SELDON_DIR / ".venv" / "bin" / "python"))

    # -- registry -------------------------------------------------------------------------
    def get(self, name: str) -> DeploymentRecord | None:
        path = self.state_dir / name / "deployment.json"
        if not path.exists():
            return None
        return DeploymentRecord.from_dict(json.loads(path.read_text()))

    def list(self) -> list[DeploymentRecord]:
        if not self.state_dir.exists():
            return []
        return [r for p in sorted(self.state_dir.iterdir()) if (r := self.get(p.name)) is not None]

    def _save(self, record: DeploymentRecord) -> None:
        folder = self.state_dir / record.name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "deployment.json").write_text(json.dumps(asdict(record), indent=1))

    # -- lifecycle ------------------------------------------------------------------------
    def deploy(
        self,
        name: str,
        model_uri: str,
        model_version: str = "",
        model_name: str = MODEL_NAME,
        port: int = 8000,
        workers: int = 1,
        ready_timeout: float = 180.0,
    ) -> DeploymentRecord:
        """(Re)deploy ``name``: stop what runs under it, start the three processes, wait until ready."""
        model_uri = _served_uri(model_uri)  # before stopping anything: a bad path keeps what runs
        self.stop(name)
        if not _wait_port_free(port, timeout=10.0):
            raise DeploymentError(f"port {port} is in use by another program; choose another with --port")
        folder = self.state_dir / name
        folder.mkdir(parents=True, exist_ok=True)
        model_port, transformer_port = free_ports(2)
        env = {
            **os.environ,
            "PYTHONPATH": f"{PROJECT_ROOT}:{SELDON_DIR}",
            "MODEL_URI": model_uri,
            "ALPR_MODEL_NAME": model_name,
            "ALPR_MODEL_VERSION": model_version,
            "PYTHONUNBUFFERED": "1",
            # workers share the cores: oversubscribed OpenMP pools are many times slower
            "ALPR_TORCH_THREADS": str(max(1, (os.cpu_count() or 1) // workers)),
        }
        record = DeploymentRecord(
            name=name, model_uri=model_uri, model_version=model_version, url=f"http://127.0.0.1:{port}",
            created=datetime.now(timezone.utc).isoformat(timespec="seconds"), workers=workers,
        )
        microservice = str(self.python.with_name("seldon-core-microservice"))
        # every microservice its own gRPC and metrics ports, so several run on one machine
        model_grpc, model_metrics, tr_grpc, tr_metrics = free_ports(4)
        specs = [
            ("model", model_port, model_metrics,
             [microservice, "PlateDetector", "--service-type", "MODEL", "--http-port", str(model_port),
              "--workers", str(workers), "--grpc-workers", "0", "--grpc-port", str(model_grpc),
              "--metrics-port", str(model_metrics), "--log-level", "WARNING"]),
            ("transformer", transformer_port, tr_metrics,
             [microservice, "PlateReader", "--service-type", "TRANSFORMER", "--http-port", str(transformer_port),
              "--workers", "1", "--grpc-workers", "0", "--grpc-port", str(tr_grpc),
              "--metrics-port", str(tr_metrics), "--log-level", "WARNING"]),
            ("router", port, 0,
             [str(self.python), str(SELDON_DIR / "router.py"), "--port", str(port),
              "--model", f"http://127.0.0.1:{model_port}", "--transformer", f"http://127.0.0.1:{transformer_port}"]),
        ]
        try:
            for svc_name, svc_port, metrics_port, command in specs:
                log_file = folder / f"{svc_name}.log"
                with open(log_file, "ab") as log:
                    proc = subprocess.Popen(command, cwd=SELDON_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True)
                record.services.append(
                    ServiceProcess(svc_name, proc.pid, svc_port, str(log_file), command, metrics_port))
                self._save(record)
            self._wait_ready(record, ready_timeout)
        except Exception:
            self.stop(name, keep_logs=True)
            raise
        return record

    def status(self, name: str) -> dict:
        record = self.get(name)
        if record is None:
            raise DeploymentError(f"no local deployment named {name!r}")
        processes = {s.name: ("running" if s.alive() else "dead") for s in record.services}
        ready = all(v == "running" for v in processes.values()) and _ready(record.url)
        return {"name": name, "url": record.predict_url, "model_uri": record.model_uri,
                "model_version": record.model_version, "processes": processes, "ready": ready}

    def logs(self, name: str, service: str = "model", lines: int = 50) -> str:
        record = self.get(name)
        if record is None:
            raise DeploymentError(f"no local deployment named {name!r}")
        svc = next((s for s in record.services if s.name == service), None)
        if svc is None:
            raise DeploymentError(f"{name} has no service {service!r} (model, transformer, router)")
        text = Path(svc.log_file).read_text(errors="replace") if Path(svc.log_file).exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, name: str, keep_logs: bool = True) -> bool:
        """Stop every process of ``name`` (process groups); True if something was running."""
        record = self.get(name)
        if record is None:
            return False
        stopped = False
        for svc in record.services:
            stopped |= _kill_group(svc.pid)
        folder = self.state_dir / name
        (folder / "deployment.json").unlink(missing_ok=True)
        if not keep_logs:
            for f in folder.glob("*.log"):
                f.unlink()
        return stopped

    def _wait_ready(self, record: DeploymentRecord, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            dead = [s for s in record.services if not s.alive()]
            if dead:
                svc = dead[0]
                tail = self.logs(record.name, svc.name, 30)
                raise DeploymentError(f"{svc.name} process exited while starting; last log lines:\n{tail}")
            if _ready(record.url):
                return
            time.sleep(0.5)
        raise DeploymentError(f"deployment {record.name} not ready after {timeout:.0f} s; see logs in {self.state_dir / record.name}")


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/ready", timeout=5) as resp:
            return resp.status == 200
    except OSError:
        return False


def _kill_group(pid: int, grace: float = 10.0) -> bool:
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            break
        _reap(pid)
        time.sleep(0.1)
    else:
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    _reap(pid)
    return True


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def _served_uri(model_uri: str) -> str:
    """The model's URL as the microservices see it: they run in ``seldon/``, so a relative local
    path becomes absolute, and a local file that is not there is an error naming it."""
    if "://" in model_uri:
        return model_uri
    path = Path(model_uri).resolve()
    if not path.is_file():
        raise DeploymentError(f"model file {model_uri} not found ({path})")
    return str(path)


def _wait_port_free(port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not _port_free(port):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the router's server does
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def free_ports(n: int) -> list[int]:
    """``n`` distinct TCP ports free on the loopback interface right now."""
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()
