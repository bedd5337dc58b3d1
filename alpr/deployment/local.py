"""Local deployments: the Seldon model and transformer microservices plus the router, as
background processes of this machine, tracked in a small registry under ``.zenml/deployments/``.

Each deployment gets a folder with ``deployment.json`` (ports, process ids and identities,
model), ``routes.json`` (where the router sends requests), ``prometheus.json`` (the metrics
endpoints as Prometheus file-based service discovery targets) and one log file per process.

A redeploy never leaves users without a model: the new microservices start on ports of their
own and must answer a real prediction before the router is switched to them (by rewriting
``routes.json``; the router's port never closes); only then do the old ones stop. If anything
fails, the old deployment keeps serving and the error says why.

The microservices listen on the loopback interface only; the router, the one door clients
see, listens where ``host`` says (loopback unless asked otherwise). Processes are stopped as
whole process groups (gunicorn workers go too), and only after checking that the process id
still names the process this registry started (ids are reused after a reboot).
"""

from __future__ import annotations

import base64
import io
import json
import logging
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from alpr.limits import max_request_bytes
from alpr.model import MODEL_NAME
from alpr.project import PROJECT_ROOT, zenml_config_path

SELDON_DIR = PROJECT_ROOT / "seldon"
log = logging.getLogger(__name__)
#: a deployment name is a Kubernetes object name too (DNS-1123 label): no path can hide in it
NAME_PATTERN = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"
#: what the serving processes inherit from this environment (no secrets such as catalog passwords)
INHERITED_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ", "STORAGE_EMULATOR_HOST", "GCE_METADATA_HOST",
                 "NO_GCE_CHECK", "GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_CLOUD_PROJECT")


class DeploymentError(RuntimeError):
    pass


def check_name(name: str) -> str:
    """``name`` if it is a valid deployment name, else a DeploymentError saying what is allowed."""
    if not re.match(NAME_PATTERN, name or ""):
        raise DeploymentError(f"deployment name {name!r} is not allowed: use 1-63 lower-case letters, digits "
                              "and '-', starting and ending with a letter or digit")
    return name


@dataclass
class ServiceProcess:
    name: str  # model | transformer | router
    pid: int
    http_port: int
    log_file: str
    command: list[str]
    metrics_port: int = 0  # Prometheus metrics at http://127.0.0.1:<metrics_port>/metrics
    identity: str = ""  # boot id and start time of the process: see process_identity()

    def alive(self) -> bool:
        """The process this record started is still running (not a zombie, not a newer
        process that happens to have the same id)."""
        stat = _proc_stat(self.pid)
        return stat is not None and stat[0] != "Z" and process_identity(self.pid) == self.identity

    def stop(self) -> bool:
        """Stop the process group this record started; True if something of it was running."""
        return self._group_is_ours() and _kill_group(self.pid)

    def rss_mb(self) -> float:
        """Resident memory of the whole process group (gunicorn master and workers), in MB."""
        if not self._group_is_ours():
            return 0.0
        return sum(int(stat[21]) for stat in _group_stats(self.pid)) * os.sysconf("SC_PAGE_SIZE") / 2**20

    def memory(self) -> dict[str, float]:
        """The process group's process count, resident memory (RSS) and proportional memory
        (PSS: each shared page split among the processes that map it, so services add up), MB."""
        if not self._group_is_ours():
            return {"processes": 0, "rss_mb": 0.0, "pss_mb": 0.0}
        pids = [int(stat[-1]) for stat in _group_stats(self.pid, with_pid=True)]
        return {"processes": len(pids), "rss_mb": round(self.rss_mb(), 1),
                "pss_mb": round(sum(_pss_kb(pid) for pid in pids) / 1024, 1)}

    def _group_is_ours(self) -> bool:
        """A living process with the recorded id is ours only if it is the very process started
        (same boot, same start time). When the leader is gone its group may live on (gunicorn
        workers, seldon-core's metrics server): ours if, in this boot, all of it started after
        the leader did."""
        if process_identity(self.pid):
            return self.alive()
        boot, _, started = self.identity.partition("/")
        members = _group_stats(self.pid)
        return (bool(started) and boot == _boot_id() and bool(members)
                and all(int(stat[19]) >= int(started) for stat in members))


@dataclass
class DeploymentRecord:
    name: str
    model_uri: str
    model_version: str
    url: str
    created: str
    workers: int
    services: list[ServiceProcess] = field(default_factory=list)
    host: str = "127.0.0.1"
    port: int = 0
    #: Seldon's gRPC API (Seldon/Predict) on the router's host; 0: none
    grpc_port: int = 0

    @property
    def predict_url(self) -> str:
        return f"{self.url}/api/v1.0/predictions"

    @property
    def grpc_endpoint(self) -> str | None:
        """``host:port`` of the gRPC API (what SeldonClient's ``gateway_endpoint`` takes), if served."""
        return f"{_url_host(self.host)}:{self.grpc_port}" if self.grpc_port else None

    def service(self, name: str) -> ServiceProcess | None:
        return next((s for s in self.services if s.name == name), None)

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
        path = self.state_dir / check_name(name) / "deployment.json"
        if not path.exists():
            return None
        return DeploymentRecord.from_dict(json.loads(path.read_text()))

    def list(self) -> list[DeploymentRecord]:
        if not self.state_dir.exists():
            return []
        return [r for p in sorted(self.state_dir.iterdir())
                if re.match(NAME_PATTERN, p.name) and (r := self.get(p.name)) is not None]

    def _save(self, record: DeploymentRecord) -> None:
        folder = self.state_dir / record.name
        folder.mkdir(parents=True, exist_ok=True)
        _write_atomically(folder / "deployment.json", json.dumps(asdict(record), indent=1))

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
        host: str = "127.0.0.1",
        grpc_port: int = 0,
    ) -> DeploymentRecord:
        """(Re)deploy ``name``: start new microservices, check that they answer a prediction,
        switch the router to them (starting it if it does not run on ``host:port``, with gRPC on
        ``grpc_port`` unless 0; a running router keeps its gRPC port, with a warning), then stop
        the old ones. On any failure what ran before keeps serving."""
        check_name(name)
        model_uri = _served_uri(model_uri)
        old = self.get(name)
        old_router = old.service("router") if old else None
        keep_router = bool(old_router and old_router.alive() and (old.host, old.port) == (host, port))
        serving = f"; {name} keeps serving at {old.url}" if old and old_router and old_router.alive() else ""
        if keep_router and old.grpc_port != grpc_port:  # the router, which serves gRPC, stays on a redeploy
            log.warning("%s keeps gRPC on port %s: a redeploy keeps its router (stop %s to move gRPC to %s)",
                        name, old.grpc_port or "none", name, grpc_port or "none")
            grpc_port = old.grpc_port
        for wanted, option in ((port, "--port"), (grpc_port, "--grpc-port")):
            if wanted and not keep_router and not port_free(wanted, host):
                raise DeploymentError(f"port {wanted} is in use by another program; choose another with "
                                      f"{option}{serving}")
        folder = self.state_dir / name
        folder.mkdir(parents=True, exist_ok=True)
        record = DeploymentRecord(
            name=name, model_uri=model_uri, model_version=model_version, url=f"http://{_url_host(host)}:{port}",
            created=datetime.now(timezone.utc).isoformat(timespec="seconds"), workers=workers, host=host, port=port,
            grpc_port=grpc_port,
        )
        env = _serving_env(model_uri, model_name, model_version, workers)
        routes = folder / "routes.json"
        old_routes = routes.read_text() if keep_router and routes.exists() else None
        started: list[ServiceProcess] = []
        try:
            model = self._start_microservice(folder, "model", "PlateDetector", "MODEL", workers, env, started)
            transformer = self._start_microservice(folder, "transformer", "PlateReader", "TRANSFORMER", 1, env, started)
            self._wait_until(lambda: _answers(model, transformer, model_version), started, folder, ready_timeout,
                             "the new model did not answer a test prediction")
            _write_atomically(routes, json.dumps({"model": _local_url(model), "transformer": _local_url(transformer)}))
            if keep_router:
                router = old_router
            else:
                router = self._start(folder, "router", port, 0, [
                    str(self.python), str(SELDON_DIR / "router.py"), "--host", host, "--port", str(port),
                    "--name", name, "--routes", str(routes), "--max-body-bytes", str(max_request_bytes()),
                    "--grpc-port", str(grpc_port)], env, started)
            self._wait_until(lambda: _routed_to(record.url, model), [*started, router], folder, 150.0,
                             f"the router at {record.url} did not switch to the new model (or finish old requests)")
        except Exception:
            for svc in started:  # started just now: surely ours, even when the leader has exited
                _kill_group(svc.pid)
            if old_routes is not None:
                _write_atomically(routes, old_routes)
            raise
        record.services = [model, transformer, router]
        self._save(record)
        _write_atomically(folder / "prometheus.json", json.dumps([  # Prometheus file_sd targets (README)
            {"targets": [f"127.0.0.1:{svc.metrics_port}"], "labels": {"deployment": name, "service": svc.name}}
            for svc in record.services if svc.metrics_port], indent=1))
        for svc in old.services if old else []:
            if svc is not router:
                svc.stop()
        return record

    def _start_microservice(self, folder: Path, name: str, component: str, service_type: str, workers: int,
                            env: dict, started: list[ServiceProcess]) -> ServiceProcess:
        """One seldon-core microservice on loopback ports of its own (HTTP, gRPC, metrics)."""
        http_port, grpc_port, metrics_port = free_ports(3)
        return self._start(folder, name, http_port, metrics_port, [
            str(self.python), str(SELDON_DIR / "serve.py"), component, "--service-type", service_type,
            "--http-port", str(http_port), "--workers", str(workers), "--grpc-workers", "0",
            "--grpc-port", str(grpc_port), "--metrics-port", str(metrics_port), "--log-level", "WARNING"],
            env, started)

    def _start(self, folder: Path, name: str, http_port: int, metrics_port: int, command: list[str], env: dict,
               started: list[ServiceProcess]) -> ServiceProcess:
        log_file = folder / f"{name}.log"
        with open(log_file, "ab") as log:
            proc = subprocess.Popen(command, cwd=SELDON_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        svc = ServiceProcess(name, proc.pid, http_port, str(log_file), command, metrics_port,
                             process_identity(proc.pid))
        started.append(svc)
        return svc

    def _wait_until(self, check, services: list[ServiceProcess], folder: Path, timeout: float, what: str) -> None:
        """Poll ``check`` until it is true; a process that exits meanwhile ends the wait with its log."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            dead = next((s for s in services if not s.alive()), None)
            if dead:
                tail = "\n".join(Path(dead.log_file).read_text(errors="replace").splitlines()[-30:])
                raise DeploymentError(f"{dead.name} process exited while starting; last log lines:\n{tail}")
            if check():
                return
            time.sleep(0.5)
        raise DeploymentError(f"{what} within {timeout:.0f} s; see the logs in {folder}")

    def status(self, name: str) -> dict:
        record = self.get(name)
        if record is None:
            raise DeploymentError(f"no local deployment named {name!r}")
        processes = {s.name: ("running" if s.alive() else "dead") for s in record.services}
        ready = all(v == "running" for v in processes.values()) and _ready(record.url)
        return {"name": name, "url": record.predict_url, "grpc": record.grpc_endpoint, "model_uri": record.model_uri,
                "model_version": record.model_version, "processes": processes, "ready": ready}

    def logs(self, name: str, service: str = "model", lines: int = 50) -> str:
        record = self.get(name)
        if record is None:
            raise DeploymentError(f"no local deployment named {name!r}")
        svc = record.service(service)
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
            stopped |= svc.stop()
        folder = self.state_dir / name
        (folder / "deployment.json").unlink(missing_ok=True)
        (folder / "routes.json").unlink(missing_ok=True)
        (folder / "prometheus.json").unlink(missing_ok=True)
        if not keep_logs:
            for f in folder.glob("*.log"):
                f.unlink()
        return stopped

def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/ready", timeout=5) as resp:
            return resp.status == 200
    except OSError:
        return False


def _answers(model: ServiceProcess, transformer: ServiceProcess, version: str) -> bool:
    """A real prediction (a small blank photo) passes through the model and the transformer,
    and the answer names the model version being deployed."""
    try:
        status, answer = _post_json(f"{_local_url(model)}/api/v1.0/predictions", {"binData": _probe_image()})
        if status != 200:
            return False
        status, answer = _post_json(f"{_local_url(transformer)}/transform-output", answer)
    except (OSError, ValueError):
        return False
    return status == 200 and answer.get("jsonData", {}).get("model", {}).get("version") == version


def _routed_to(url: str, model: ServiceProcess) -> bool:
    """The router at ``url`` sends predictions to ``model``, and no request runs on the routes
    it had before (old microservices can stop without failing anyone)."""
    try:
        with urllib.request.urlopen(f"{url}/ready", timeout=5) as resp:
            doc = json.loads(resp.read())
    except urllib.error.HTTPError as err:  # 503: not ready, its answer still says where it routes
        doc = json.loads(err.read() or b"{}")
    except (OSError, ValueError):
        return False
    return doc.get("routes", {}).get("model") == _local_url(model) and doc.get("draining") == 0


def _post_json(url: str, doc: dict) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=json.dumps(doc).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, {}


def _probe_image() -> str:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (128, 128, 128)).save(buffer, format="JPEG")
    return base64.b64encode(buffer.getvalue()).decode()


def _local_url(svc: ServiceProcess) -> str:
    return f"http://127.0.0.1:{svc.http_port}"


def _url_host(host: str) -> str:
    """The host to put in the URL users call: loopback when the router listens everywhere."""
    return "127.0.0.1" if host in ("0.0.0.0", "") else (f"[{host}]" if ":" in host else host)


def _serving_env(model_uri: str, model_name: str, model_version: str, workers: int) -> dict[str, str]:
    """The serving processes' environment: a few inherited variables (never this process's
    secrets), the ``ALPR_`` settings of serving, and the model."""
    env = {k: v for k, v in os.environ.items()
           if k in INHERITED_ENV or (k.startswith("ALPR_") and k != "ALPR_CATALOG_PASSWORD" and k != "ALPR_CATALOG_URL")}
    env.update({
        "PYTHONPATH": f"{PROJECT_ROOT}:{SELDON_DIR}",
        "MODEL_URI": model_uri,
        "ALPR_MODEL_NAME": model_name,
        "ALPR_MODEL_VERSION": model_version,
        "ALPR_BIND_HOST": "127.0.0.1",  # only the router is reachable from elsewhere, if asked
        "PYTHONUNBUFFERED": "1",
        # workers share the cores: oversubscribed OpenMP pools are many times slower
        "ALPR_TORCH_THREADS": str(max(1, (os.cpu_count() or 1) // workers)),
    })
    return env


def process_identity(pid: int) -> str:
    """Which process ``pid`` is: this boot's id and the process's start time. A process id is
    reused after its process ends (always after a reboot); this pair is not."""
    stat = _proc_stat(pid)
    return "" if stat is None else f"{_boot_id()}/{stat[19]}"  # field 22 of /proc/<pid>/stat: start time


def _boot_id() -> str:
    return Path("/proc/sys/kernel/random/boot_id").read_text().strip()


def _group_stats(pgid: int, with_pid: bool = False) -> list[list[str]]:
    """``/proc/<pid>/stat`` fields (as ``_proc_stat``) of every process in group ``pgid``; with
    ``with_pid``, each list ends with the process id."""
    stats = ((_proc_stat(int(p.name)), p.name) for p in Path("/proc").iterdir() if p.name.isdigit())
    return [stat + [pid] if with_pid else stat
            for stat, pid in stats if stat is not None and stat[2] == str(pgid)]  # field 5: process group


def _pss_kb(pid: int) -> int:
    """The process's proportional set size in kB (``/proc/<pid>/smaps_rollup``), 0 if it is gone."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _proc_stat(pid: int) -> list[str] | None:
    """The fields of ``/proc/<pid>/stat`` after the command name (state first), or None."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def _write_atomically(path: Path, text: str) -> None:
    """Readers (the router, other commands) see the old file or the new one, never half."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


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


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether a server could listen on ``host:port`` now (as the router's server binds)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the router's server does
        try:
            s.bind((host, port))
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
