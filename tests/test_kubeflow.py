"""The unchanged dataset pipeline on the `kubeflow` stack, as far as this machine allows: `run.py`
against a standalone ZenML server on MariaDB, GCS artifacts on the emulator, and a Kubeflow
Pipelines API on loopback (``tests/kfp_harness.py``) that receives the compiled pipeline and
runs its tasks as pods would, in DAG order, each in an empty folder with the code downloaded
from the bucket. Checks what is sent (the IR) and what comes back (the ZenML run)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from alpr.catalog import COCO, DatasetCatalog
from alpr.deployment.local import free_ports
from alpr.project import PROJECT_ROOT
from kfp_harness import (
    KfpApi,
    TokenEndpoint,
    executor_of,
    mariadb_database,
    service_account,
    topological_order,
    zenml_server,
)

MYSQL_URL = os.environ.get("ALPR_TEST_MYSQL_URL")
IMAGE = "registry.example.com/alpr/pipeline:0.1.0"
CHECKPOINT = Path(__file__).parent / "fixtures" / "alpr-detector.pth"
DATASET_STEPS = {"synthesize_labelme", "ingest", "coco_merge", "catalog_record"}
#: the dataset pipeline's data flow (ZenML's step dependencies, KFP's dependentTasks)
EDGES = {"ingest": {"synthesize_labelme"}, "coco_merge": {"ingest"},
         "catalog_record": {"synthesize_labelme", "ingest", "coco_merge"}}

pytestmark = pytest.mark.skipif(not MYSQL_URL, reason="ALPR_TEST_MYSQL_URL is not set (CI sets it to the machine's "
                                                     "MariaDB, which the standalone ZenML server needs)")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, gcs_emulator):
    """The server, the KFP API and the environment of a user set up for the kubeflow stack."""
    folder = tmp_path_factory.mktemp("kubeflow")
    # what a pod's surroundings give it: the GCS endpoint (the emulator, which has no gRPC API: gcsfs
    # must not try it); credentials come from the artifact store's ZenML secret
    pod_env = {k: os.environ[k] for k in ("STORAGE_EMULATOR_HOST", "GCE_METADATA_HOST", "NO_GCE_CHECK")}
    pod_env["GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT"] = "false"
    tokens = TokenEndpoint()
    key_file, public_key = service_account(tokens.url)
    (folder / "service-account.json").write_text(key_file)
    with zenml_server(MYSQL_URL, folder) as (server_url, client_env), mariadb_database(MYSQL_URL) as catalog:
        kfp = KfpApi(pod_env=pod_env)
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("ALPR_CATALOG")}, **client_env, **pod_env,
               "ZENML_ANALYTICS_OPT_IN": "false", "ALPR_KFP_HOST": kfp.url, "ALPR_GCS_BUCKET": "alpr",
               "ALPR_CONTAINER_REGISTRY": "registry.example.com/alpr", "ALPR_PIPELINE_IMAGE": IMAGE,
               "ALPR_GCP_AUTH_SECRET": "alpr-gcs"}
        zenml = str(Path(sys.executable).with_name("zenml"))
        # GCS credentials as the stack's definition takes them: a service-account key (a multi-line
        # PEM inside) in a ZenML secret, read from the file as `zenml secret create ... --token=@file` does
        created = subprocess.run([zenml, "secret", "create", "alpr-gcs", f"--token=@{folder / 'service-account.json'}"],
                                 env=env, capture_output=True, text=True, timeout=120)
        assert created.returncode == 0, created.stderr[-2000:]
        # the catalog's URL and password as the stack's definition asks: a ZenML secret on the server
        catalog_url = make_url(MYSQL_URL).set(username=catalog[0], database=catalog[0]).render_as_string()
        created = subprocess.run([zenml, "secret", "create", "alpr-catalog",
                                  f"--ALPR_CATALOG_URL={catalog_url}", f"--ALPR_CATALOG_PASSWORD={catalog[1]}"],
                                 env=env, capture_output=True, text=True, timeout=120)
        assert created.returncode == 0, created.stderr[-2000:]
        try:
            yield server_url, kfp, env, folder, (catalog_url, catalog[1]), (tokens, key_file, public_key)
        finally:
            kfp.close()
            tokens.close()


def _run_py(env: dict, config: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "run.py", "--stack", "kubeflow", "--config", str(config)],
                          cwd=PROJECT_ROOT, capture_output=True, text=True, env=env, timeout=900)


def test_dataset_pipeline_compiles_submits_and_completes_on_the_kubeflow_stack(cluster) -> None:
    server_url, kfp, env, folder, (catalog_url, catalog_password), (tokens, key_file, public_key) = cluster
    config = folder / "dataset.yaml"
    config.write_text("extra: {pipeline: dataset}\nenable_cache: true\n"
                      "parameters: {data: {synth_images: 6, synth_seed: 3, name: on-kubeflow}}\n")
    done = _run_py(env, config)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:] + "\n".join(kfp.logs.values())[-3000:]
    assert "on stack 'kubeflow'" in done.stdout and "status: completed" in done.stdout
    assert f"dashboard: {server_url}/projects/default/runs/" in done.stdout

    # what was sent: one task per step, the pipeline's edges, the image, ZenML's step entrypoint
    (submitted,) = kfp.submitted
    spec = submitted["pipeline_spec"]
    tasks = spec["root"]["dag"]["tasks"]
    assert {t.replace("-", "_") for t in tasks} == DATASET_STEPS
    for task, body in tasks.items():
        step = task.replace("-", "_")
        assert {d.replace("-", "_") for d in body.get("dependentTasks", [])} == EDGES.get(step, set())
        assert body["cachingOptions"] == {}  # KFP's own cache off: ZenML decides what is cached
        container = executor_of(spec, task)["container"]
        assert container["image"] == IMAGE
        assert container["command"] == ["python", "-m", "zenml.entrypoints.entrypoint"]
        args = dict(zip(container["args"][::2], container["args"][1::2]))
        assert args["--step_name"] == step
        assert args["--entrypoint_config_source"].endswith("StepEntrypointConfiguration")
        names = {e["name"]: e["value"] for e in container["env"]}
        assert names["ZENML_STORE_URL"] == server_url
        assert "resources" not in container  # light steps ask for no CPU or GPU
        assert "ZENML_STORE_PASSWORD" not in names and "ALPR_CATALOG_URL" not in names
    private_key = json.loads(key_file)["private_key"]
    for secret in (catalog_password, private_key.splitlines()[1]):  # no secret value in what was sent
        assert secret not in json.dumps(submitted)
    assert topological_order(tasks)[0] == "synthesize-labelme"

    # what ran: every task, in DAG order, each its own process; the ZenML run holds every artifact in GCS
    ran = [name for _, name, code in kfp.tasks if code == 0]
    assert ran == topological_order(tasks)
    for key, log in kfp.logs.items():  # no project files in a pod's folder: its code came from the bucket
        assert "Downloading code from artifact store path" in log and "gs://alpr/zenml/code_uploads/" in log, key
        assert "Code download finished" in log, (key, log[-2000:])
    assert not any(catalog_password in log for log in kfp.logs.values())
    # every pod signed its GCS token request with the service account's key: the PEM arrived intact
    import google.auth.jwt

    signed_by_pods = [a for a in tokens.assertions if google.auth.jwt.decode(a, certs=public_key)]
    assert len(signed_by_pods) >= len(tasks) + 1, len(signed_by_pods)  # the client and each pod
    assert catalog_password not in done.stdout + done.stderr
    with DatasetCatalog(make_url(catalog_url).set(password=catalog_password).render_as_string(hide_password=False)
                        ) as catalog:  # the secret reached the steps: the catalog is on MariaDB
        assert [r["version"] for r in catalog.list(COCO, "on-kubeflow")] == [1]
    run = _run_info(env, done.stdout)
    assert run["steps"] == {step: "completed" for step in DATASET_STEPS}
    assert run["coco_uri"].startswith("gs://alpr/zenml/") and run["coco_images"] == 6

    # the same submission again: served from ZenML's cache, every step
    again = _run_py(env, config)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert set(_run_info(env, again.stdout)["steps"].values()) == {"cached"}


def test_training_asks_for_a_gpu_only_in_training_and_unsupported_settings_stop_before_submission(cluster) -> None:
    _, kfp, env, folder, *_ = cluster
    kfp.execute = False  # what is sent is what matters here
    try:
        done = _run_py(env, PROJECT_ROOT / "configs" / "training-tiny.yaml")
        assert done.returncode == 1 and "did not complete" in done.stderr  # KFP said the run failed
        spec = kfp.submitted[-1]["pipeline_spec"]
        tasks = spec["root"]["dag"]["tasks"]
        assert "train" in tasks and "evaluate" in tasks
        for task in tasks:
            resources = executor_of(spec, task)["container"].get("resources")
            if task == "train":
                assert resources["accelerator"] == {"type": "nvidia.com/gpu", "count": "1",
                                                    "resourceType": "nvidia.com/gpu", "resourceCount": "1"}
                assert float(resources["resourceCpuLimit"]) == 8  # a Kubernetes quantity
            else:
                assert resources is None, (task, resources)

        sent = len(kfp.submitted)
        config = folder / "memory.yaml"
        config.write_text("extra: {pipeline: dataset}\nsecrets: [no-such-secret]\n"
                          "steps: {ingest: {settings: {resources: {memory: 4GB}}}}\n"
                          "settings: {orchestrator.kubeflow: {pod_settings: {tolerations: [{key: gpu}]},\n"
                          "                                   node_selectors: {pool: gpu}}}\n")
        refused = _run_py(env, config)
        assert refused.returncode == 1 and "Traceback" not in refused.stderr
        assert "steps.ingest.settings.resources.memory: ZenML's Kubeflow orchestrator cannot pass memory" in refused.stderr
        assert "secrets: no ZenML secret 'no-such-secret'; create it first" in refused.stderr
        for dropped in ("pod_settings.tolerations", "node_selectors.pool"):
            assert f"settings.orchestrator.kubeflow.{dropped}: dropped on the way to the pods" in refused.stderr
        assert len(kfp.submitted) == sent  # nothing was submitted
    finally:
        kfp.execute = True


def test_batch_predictions_and_prelabels_run_unchanged_on_the_kubeflow_stack(cluster, tmp_path: Path) -> None:
    """`run.py batch` on a bucket prefix with a checkpoint in the bucket: the step runs in a pod,
    reads the photos, writes labelme files beside them in the bucket, and they validate."""
    from alpr.fsutil import open_fs
    from alpr.labelme import read_labelme_folder
    from alpr.synth import SynthOptions, generate_dataset

    _, kfp, env, *_ = cluster
    generate_dataset(str(tmp_path), n=2, seed=6502, progress=False,
                     options=SynthOptions.classic(image_sizes=[(1280, 720)], plates_per_image=(1, 2),
                                                  regular_width=(110, 200), max_rotation_deg=6.0, closeup_fraction=0.0,
                                                  portrait_fraction=0.0))
    fs, _ = open_fs("gs://alpr")
    for photo in sorted(tmp_path.glob("*.jpg")):
        fs.pipe_file(f"alpr/kfp-batch/{photo.name}", photo.read_bytes())
    fs.pipe_file("alpr/models/reference.pth", CHECKPOINT.read_bytes())
    done = subprocess.run([sys.executable, "run.py", "--stack", "kubeflow", "batch", "gs://alpr/kfp-batch", "--model",
                           "gs://alpr/models/reference.pth", "--prelabel"], cwd=PROJECT_ROOT, capture_output=True,
                          text=True, env=env, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:] + "\n".join(kfp.logs.values())[-3000:]
    assert "photos: 2" in done.stdout and "skipped files: 0" in done.stdout and "labelme written: 2" in done.stdout
    assert [name for _, name, code in kfp.tasks][-1] == "batch-predict"
    _, report = read_labelme_folder("gs://alpr/kfp-batch", progress=False)
    assert report.valid == 2 and not report.problems


def test_a_failed_task_makes_run_py_fail(cluster) -> None:
    _, kfp, env, folder, *_ = cluster
    config = folder / "broken.yaml"
    config.write_text("extra: {pipeline: dataset}\nenable_cache: false\n"
                      "parameters: {data: {source_uri: 'gs://alpr/no-such-folder'}}\n")
    done = _run_py(env, config)
    assert done.returncode == 1 and "did not complete" in done.stderr, done.stdout[-2000:] + done.stderr[-2000:]
    assert [code for *_, code in kfp.tasks][-1] != 0


def test_a_local_artifact_store_or_an_unreachable_kfp_fails_run_py(cluster) -> None:
    """Two stacks a user could register by hand: ZenML's validator refuses the first before
    anything is submitted; the second's submission fails (ZenML only logs that)."""
    _, kfp, env, folder, *_ = cluster
    zenml = str(Path(sys.executable).with_name("zenml"))

    def register(*args: str) -> None:
        done = subprocess.run([zenml, *args], env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]

    config = folder / "small.yaml"
    config.write_text("extra: {pipeline: dataset}\nenable_cache: false\nparameters: {data: {synth_images: 2}}\n"
                      f"settings: {{docker: {{parent_image: '{IMAGE}', skip_build: true}}}}\n")  # stacks/ knows neither
    sent = len(kfp.submitted)
    registered = subprocess.run([sys.executable, "-c", "from stacks import ensure_stack; ensure_stack('kubeflow')"],
                                cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert registered.returncode == 0, registered.stderr[-2000:]  # its components, shared below
    register("stack", "register", "kubeflow-local-store", "-o", "kubeflow-orchestrator", "-a", "default",
             "-c", "alpr-registry", "-i", "local-image-builder")
    local = subprocess.run([sys.executable, "run.py", "--stack", "kubeflow-local-store", "--config", str(config)],
                           cwd=PROJECT_ROOT, capture_output=True, text=True, env=env, timeout=300)
    assert local.returncode == 1 and "Traceback" not in local.stderr, local.stderr[-2000:]
    assert "stack 'kubeflow-local-store' cannot run this pipeline" in local.stderr
    assert "'default' artifact_store is a local stack component" in local.stderr
    assert len(kfp.submitted) == sent

    dead = free_ports(1)[0]
    register("orchestrator", "register", "kubeflow-nowhere", "--flavor", "alpr_kubeflow",
             f"--kubeflow_hostname=http://127.0.0.1:{dead}")
    register("stack", "register", "kubeflow-nowhere", "-o", "kubeflow-nowhere", "-a", "gcs-artifact-store",
             "-c", "alpr-registry", "-i", "local-image-builder")
    unreachable = subprocess.run([sys.executable, "run.py", "--stack", "kubeflow-nowhere", "--config", str(config)],
                                 cwd=PROJECT_ROOT, capture_output=True, text=True, env=env, timeout=600)
    assert unreachable.returncode == 1, unreachable.stdout[-2000:] + unreachable.stderr[-2000:]
    assert "did not complete" in unreachable.stderr or "no pipeline run was created" in unreachable.stderr, (
        unreachable.stderr[-3000:])


def _run_info(env: dict, run_py_output: str) -> dict:
    """The ZenML run ``run.py`` printed, as the server has it: step statuses, the COCO
    dataset's URI and its image count (loaded from the bucket), read by a client process."""
    code = ("import json, sys\nfrom zenml.client import Client\n"
            "run = Client().get_pipeline_run(sys.argv[1])\n"
            "coco = run.steps['coco_merge'].outputs['coco_dataset'][0]\n"
            "print(json.dumps({'steps': {n: s.status.value for n, s in run.steps.items()}, 'coco_uri': coco.uri,\n"
            "                  'coco_images': sum(coco.load().summary().images.values())}))\n")
    name = run_py_output.split("run: ")[1].split()[0]
    done = subprocess.run([sys.executable, "-c", code, name], cwd=PROJECT_ROOT, capture_output=True, text=True,
                          env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])
