"""Test harness for the Kubeflow stack, where no cluster can exist: a standalone ZenML server
on MariaDB (as production ZenML servers run on MySQL) and a Kubeflow Pipelines API on loopback
that records what is submitted and runs it as the cluster would.

``KfpApi`` answers the calls the KFP SDK makes (health, experiments, runs); a submitted run's
tasks are executed in DAG order, each as its own process with its container's command,
arguments and environment, in an empty working folder (the code comes from the artifact store,
as in a pod), with the pipeline environment's Python standing in for the image's. Only the
pod's surroundings are supplied: ``pod_env`` (e.g. the GCS endpoint a pod's credentials
would give). This is a test harness, not a KFP implementation.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from alpr.deployment.local import free_ports


class JsonHandler(BaseHTTPRequestHandler):
    """A quiet handler that answers JSON."""

    def _send(self, status: int, doc: dict) -> None:
        body = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def serve(handler: type[BaseHTTPRequestHandler]) -> tuple[ThreadingHTTPServer, str]:
    """``handler`` on a free loopback port, in a background thread: the server and its URL."""
    port = free_ports(1)[0]
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{port}"


class KfpApi:
    """The KFP v2beta1 REST calls ZenML's orchestrator makes, on ``url``; ``submitted`` keeps
    each run as posted, ``tasks`` the (run id, task name, return code) of each task executed."""

    def __init__(self, pod_env: dict[str, str], task_timeout: float = 600.0):
        self.pod_env, self.task_timeout = pod_env, task_timeout
        #: False: runs are recorded and fail at once, nothing is executed (to check what is sent)
        self.execute = True
        self.submitted: list[dict] = []
        self.tasks: list[tuple[str, str, int]] = []
        self.logs: dict[str, str] = {}
        self._runs: dict[str, dict] = {}
        self._experiments: dict[str, dict] = {}
        self._server, self.url = serve(self._handler())

    def close(self) -> None:
        self._server.shutdown()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(JsonHandler):
            def do_GET(self) -> None:  # noqa: N802
                path = self.path.split("?")[0]
                if path == "/apis/v2beta1/healthz":
                    return self._send(200, {"multi_user": False})
                if path == "/apis/v2beta1/experiments":
                    wanted = re.search(r"%22stringValue%22%3A\+%22([^%]+)%22", self.path)
                    found = [e for e in api._experiments.values() if not wanted or e["display_name"] == wanted[1]]
                    return self._send(200, {"experiments": found, "total_size": len(found)})
                run = re.fullmatch(r"/apis/v2beta1/runs/([\w-]+)", path)
                if run and run[1] in api._runs:
                    return self._send(200, api._runs[run[1]])
                self._send(404, {"error": f"no route {path}"})

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                path = self.path.split("?")[0]
                if path == "/apis/v2beta1/experiments":
                    experiment = {**body, "experiment_id": str(uuid.uuid4())}
                    api._experiments[experiment["experiment_id"]] = experiment
                    return self._send(200, experiment)
                if path == "/apis/v2beta1/runs":
                    run = {**body, "run_id": str(uuid.uuid4()), "state": "RUNNING"}
                    api._runs[run["run_id"]] = run
                    api.submitted.append(body)
                    if api.execute:
                        threading.Thread(target=api._execute, args=(run,), daemon=True).start()
                    else:
                        run["state"] = "FAILED"
                    return self._send(200, {k: v for k, v in run.items() if k != "pipeline_spec"})
                self._send(404, {"error": f"no route {path}"})

        return Handler

    def _execute(self, run: dict) -> None:
        spec = run["pipeline_spec"]
        tasks = spec["root"]["dag"]["tasks"]
        for name in topological_order(tasks):
            executor = executor_of(spec, name)["container"]
            env = {e["name"]: e["value"].replace("{{$.pipeline_job_name}}", run["display_name"])
                   for e in executor.get("env", [])}
            proc = (self._run_in_image if POD_IMAGE else self._run_here)(name, executor, {**self.pod_env, **env})
            self.tasks.append((run["run_id"], name, proc.returncode))
            self.logs[f"{run['run_id']}/{name}"] = proc.stdout + proc.stderr
            if proc.returncode != 0:
                run["state"] = "FAILED"
                return
        run["state"] = "SUCCEEDED"

    def _run_here(self, name: str, container: dict, env: dict[str, str]) -> subprocess.CompletedProcess:
        command = [sys.executable if c == "python" else c for c in container["command"]] + container["args"]
        with tempfile.TemporaryDirectory(prefix=f"pod-{name}-") as workdir:
            return subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=self.task_timeout,
                                  env={"PATH": os.environ["PATH"], "HOME": workdir, **env})

    def _run_in_image(self, name: str, container: dict, env: dict[str, str]) -> subprocess.CompletedProcess:
        pod = subprocess.run(["podman", "create", POD_IMAGE, "python"], check=True, capture_output=True,
                             text=True).stdout.strip()
        try:
            root = subprocess.run(["podman", "mount", pod], check=True, capture_output=True, text=True).stdout.strip()
            env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/pod", **env}
            inner = " ".join(shlex.quote(a) for a in ["/usr/bin/env", "-i", *(f"{k}={v}" for k, v in env.items()),
                                                      *container["command"], *container["args"]])
            script = (f"mkdir -p {root}/pod && mount -t proc proc {root}/proc && mount --rbind /dev {root}/dev && "
                      f"exec chroot {root} /bin/sh -c {shlex.quote('cd /pod && exec ' + inner)}")
            return subprocess.run(["unshare", "--mount", "--pid", "--fork", "--kill-child", "/bin/sh", "-c", script],
                                  capture_output=True, text=True, timeout=self.task_timeout)
        finally:
            subprocess.run(["podman", "rm", "-f", pod], capture_output=True)


class TokenEndpoint:
    """A Google OAuth token endpoint on loopback: a service account whose ``token_uri`` points
    here gets a dummy access token for each signed assertion it sends; ``assertions`` keeps them
    (JWTs signed with the account's private key, to check that the key arrived intact)."""

    def __init__(self):
        self.assertions: list[str] = []
        endpoint = self

        class Handler(JsonHandler):
            def do_POST(self) -> None:  # noqa: N802
                form = urllib.parse.parse_qs(self.rfile.read(int(self.headers.get("Content-Length", 0))).decode())
                endpoint.assertions += form.get("assertion", [])
                self._send(200, {"access_token": "test-token", "expires_in": 3600, "token_type": "Bearer"})

        self._server, url = serve(Handler)
        self.url = f"{url}/token"

    def close(self) -> None:
        self._server.shutdown()


def service_account(token_uri: str) -> tuple[str, str]:
    """A service-account key file (JSON, indented: many lines, the private key a PEM block) for
    ``token_uri``, and the PEM of its public key."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    info = {"type": "service_account", "project_id": "alpr-test", "private_key_id": uuid.uuid4().hex,
            "private_key": private, "client_email": "alpr-pipeline@alpr-test.iam.gserviceaccount.com",
            "client_id": "1", "token_uri": token_uri}
    return json.dumps(info, indent=2), public


#: a built pipeline image (scripts/build-images.sh pipeline) to run the pods in, instead of this
#: environment's Python: its file system, by unshare + chroot (podman run cannot start here)
POD_IMAGE = os.environ.get("ALPR_KFP_POD_IMAGE")


def topological_order(tasks: dict[str, dict]) -> list[str]:
    """Task names so that each comes after every task it depends on (KFP's ``dependentTasks``)."""
    order: list[str] = []
    pending = dict(tasks)
    while pending:
        ready = sorted(n for n, t in pending.items() if set(t.get("dependentTasks", [])) <= set(order))
        if not ready:
            raise ValueError(f"dependency cycle among {sorted(pending)}")
        order += ready
        for n in ready:
            del pending[n]
    return order


def executor_of(spec: dict, task: str) -> dict:
    component = spec["components"][spec["root"]["dag"]["tasks"][task]["componentRef"]["name"]]
    return spec["deploymentSpec"]["executors"][component["executorLabel"]]


@contextmanager
def mariadb_database(root_url: str) -> Iterator[tuple[str, str]]:
    """A database and a user of the same name with a password (ZenML requires one), on the
    server at ``root_url``; yields (name, password) and drops both afterwards."""
    import sqlalchemy

    name, password = f"alpr_test_{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    root = sqlalchemy.create_engine(root_url)
    with root.begin() as conn:
        conn.execute(sqlalchemy.text(f"CREATE DATABASE {name}"))
        for host in ("%", "localhost"):
            conn.execute(sqlalchemy.text(f"CREATE USER '{name}'@'{host}' IDENTIFIED BY '{password}'"))
            conn.execute(sqlalchemy.text(f"GRANT ALL ON {name}.* TO '{name}'@'{host}'"))
    try:
        yield name, password
    finally:
        with root.begin() as conn:
            conn.execute(sqlalchemy.text(f"DROP DATABASE IF EXISTS {name}"))
            for host in ("%", "localhost"):
                conn.execute(sqlalchemy.text(f"DROP USER IF EXISTS '{name}'@'{host}'"))
        root.dispose()


@contextmanager
def zenml_server(mysql_root_url: str, config_dir: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """A ZenML server process on a database of its own in the MariaDB at ``mysql_root_url``;
    yields its URL and the environment that connects a client to it."""
    import sqlalchemy

    host = sqlalchemy.engine.make_url(mysql_root_url)
    with mariadb_database(mysql_root_url) as (database, password):
        port = free_ports(1)[0]
        env = {**os.environ, "ZENML_CONFIG_PATH": str(config_dir / "server"), "ZENML_ANALYTICS_OPT_IN": "false",
               "ZENML_STORE_URL": f"mysql://{database}:{password}@{host.host}:{host.port or 3306}/{database}",
               "ZENML_SERVER": "true", "ZENML_SERVER_DEPLOYMENT_TYPE": "other",
               "ZENML_SERVER_AUTH_SCHEME": "OAUTH2_PASSWORD_BEARER", "ZENML_SERVER_AUTO_ACTIVATE": "True",
               "ZENML_SERVER_JWT_SECRET_KEY": uuid.uuid4().hex}
        with open(config_dir / "zenml-server.log", "wb") as log:
            server = subprocess.Popen([sys.executable, "-m", "uvicorn", "zenml.zen_server.zen_server_api:app",
                                       "--host", "127.0.0.1", "--port", str(port)], env=env, stdout=log,
                                      stderr=subprocess.STDOUT)
            server_url = f"http://127.0.0.1:{port}"
            try:
                _wait_for_server(server, server_url, config_dir / "zenml-server.log")
                yield server_url, {"ZENML_STORE_URL": server_url, "ZENML_STORE_USERNAME": "default",
                                   "ZENML_STORE_PASSWORD": "", "ZENML_CONFIG_PATH": str(config_dir / "client")}
            finally:
                server.terminate()
                server.wait(30)


def _wait_for_server(server: subprocess.Popen, url: str, log: Path, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{url}/api/v1/info", timeout=5) as resp:
                if json.loads(resp.read())["database_type"] == "mysql":
                    return
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"ZenML server did not start; see {log}") from None
            time.sleep(1)
