"""Run the ALPR pipelines: ``python run.py --stack local``.

Thin on purpose: pick the stack, pick a config YAML under configs/, run its pipeline, and say
where the results are. Everything else lives in pipelines/, steps/ and alpr/.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from alpr.project import PROJECT_ROOT, apply_environment_defaults

apply_environment_defaults()  # before ZenML is imported: keep its state in .zenml/

from alpr.deployment.settings import DeploySettings  # noqa: E402  (pydantic only: the CLI's defaults)

DEPLOY_DEFAULTS = {name: field.default for name, field in DeploySettings.model_fields.items()}

DEFAULT_CONFIG = "training.yaml"


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--stack",
    metavar="NAME",
    help="Stack to use: registered from stacks/NAME.yaml if missing, then activated. "
    "Default: the active stack (see `zenml stack set`).",
)
@click.option(
    "--config",
    "config",
    default=DEFAULT_CONFIG,
    show_default=True,
    metavar="FILE",
    help="Pipeline config YAML (a path, or a file name under configs/). Its `extra.pipeline` "
    "names the pipeline to run.",
)
@click.option("--no-cache", is_flag=True, help="Re-run every step instead of reusing cached results.")
@click.pass_context
def cli(ctx: click.Context, stack: str | None, config: str, no_cache: bool) -> None:
    """Run an ALPR pipeline end to end (default: configs/training.yaml: data, training, evaluation,
    deployment), or manage and query local deployments with the commands below."""
    ctx.ensure_object(dict)
    ctx.obj["stack"] = stack
    if ctx.invoked_subcommand is None:
        run_pipeline(stack, resolve_config(config), no_cache)


def resolve_config(config: str) -> Path:
    path = Path(config)
    if not path.exists():
        path = PROJECT_ROOT / "configs" / config
    if not path.exists():
        known = ", ".join(sorted(p.name for p in (PROJECT_ROOT / "configs").glob("*.yaml")))
        raise click.BadParameter(f"{config}: no such file (configs/ has: {known})", param_hint="--config")
    return path


def run_pipeline(stack: str | None, config_path: Path, no_cache: bool) -> None:
    from alpr.config_loader import load_yaml
    from pipelines import PIPELINES

    config = load_yaml(str(config_path))
    pipeline_name = (config.get("extra") or {}).get("pipeline")
    if pipeline_name not in PIPELINES:
        raise click.BadParameter(
            f"{config_path}: extra.pipeline must be one of {sorted(PIPELINES)}, got {pipeline_name!r}",
            param_hint="--config",
        )
    if no_cache:
        config["enable_cache"] = False
    run_and_report(stack, PIPELINES[pipeline_name], f"with {config_path}", config, config_path)


def check_parameters(pipeline, parameters: dict, config_path: Path | str, given: set[str] = frozenset()) -> None:
    """The config's typed parameters (those not ``given`` in code), checked before anything
    runs: a wrong or missing one is one message naming it (ZenML would log pydantic's report
    and raise a generic error)."""
    import inspect
    import typing

    from pydantic import BaseModel, ValidationError

    hints = typing.get_type_hints(pipeline.entrypoint)
    for name, param in inspect.signature(pipeline.entrypoint).parameters.items():
        model = hints.get(name)
        if name in given or not (inspect.isclass(model) and issubclass(model, BaseModel)):
            continue
        if name not in parameters:
            if param.default is inspect.Parameter.empty:
                raise click.BadParameter(f"{config_path}: parameters.{name} is missing", param_hint="--config")
            continue
        try:
            model.model_validate(parameters[name])
        except ValidationError as exc:
            problems = "; ".join(f"parameters.{name}.{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise click.BadParameter(f"{config_path}: {problems}", param_hint="--config")


def run_and_report(stack: str | None, pipeline, what: str, config: dict | None = None,
                   config_path: Path | str = "the command line", **parameters):
    """Run ``pipeline`` on ``stack`` (else the active one) with ``config`` (a ZenML run config)
    and what the stack's definition adds to every run, print where its results are, and exit
    non-zero unless the run completed; gives the run."""
    import inspect
    import tempfile

    import yaml

    from pipelines.report import describe_run
    from stacks import StackError, ensure_stack, run_config_on_stack
    from zenml.client import Client
    from zenml.enums import ExecutionStatus
    from zenml.exceptions import StackValidationError

    try:
        if stack:
            ensure_stack(stack)
        active = Client().active_stack_model.name
        config = run_config_on_stack(config or {}, set(inspect.signature(pipeline.entrypoint).parameters)
                                     - set(parameters))  # what differs per stack: its definition
    except (StackError, KeyError) as exc:
        raise click.ClickException(str(exc).strip("'\""))
    check_parameters(pipeline, config["parameters"], config_path, given=set(parameters))
    click.echo(f"pipeline '{pipeline.name}' on stack '{active}' {what}")
    with tempfile.TemporaryDirectory(prefix="alpr-run-") as folder:
        path = Path(folder) / "run.yaml"
        path.write_text(yaml.safe_dump(config))
        try:
            run = pipeline.with_options(config_path=str(path))(**parameters)
        except StackValidationError as exc:  # e.g. a component the orchestrator cannot use
            raise click.ClickException(f"stack '{active}' cannot run this pipeline: {exc}")
    if run is None:  # e.g. a remote orchestrator that only logged a failed submission
        click.echo("no pipeline run was created; see the log above", err=True)
        sys.exit(1)
    click.echo(describe_run(run))
    status = Client().get_pipeline_run(run.id).status
    if status != ExecutionStatus.COMPLETED:
        click.echo(f"run {run.name} did not complete (status: {status.value})", err=True)
        sys.exit(1)
    return run


@cli.command("batch")
@click.argument("source")
@click.option("--version", "version", default="production", show_default=True,
              help="Model version: a stage (production, staging, latest) or a number.")
@click.option("--model", "model_uri", metavar="FILE", help="A checkpoint file (path or gs://) instead of a version.")
@click.option("--prelabel", is_flag=True, help="Write a labelme file beside each photo (existing ones are kept).")
@click.option("--overwrite-labels", is_flag=True, help="With --prelabel: replace existing labelme files.")
@click.pass_context
def batch_command(ctx: click.Context, source: str, version: str, model_uri: str | None, prelabel: bool,
                  overwrite_labels: bool) -> None:
    """Read every photo under SOURCE (a folder, a photo or a gs:// prefix) as the batch pipeline:
    readings as CSV and JSON, a summary, and with --prelabel labelme files to correct."""
    from pydantic import ValidationError
    from zenml.client import Client

    from alpr.batch import BatchParams, source_files
    from pipelines import PIPELINES

    if overwrite_labels and not prelabel:
        raise click.UsageError("--overwrite-labels goes with --prelabel")
    try:
        params = BatchParams(source=source, model_version=version, model_uri=model_uri, prelabel=prelabel,
                             overwrite_labels=overwrite_labels)
    except ValidationError as exc:
        raise click.ClickException(exc.errors()[0]["msg"])
    try:
        source_files(source)  # here, not after the pipeline has started
    except FileNotFoundError as exc:
        raise click.ClickException(str(exc))
    run = run_and_report(ctx.obj["stack"], PIPELINES["batch"], f"on {source}", batch=params)
    readings = Client().get_pipeline_run(run.id).steps["batch_predict"].outputs["readings"][0]
    click.echo(", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in readings.load().summary().items()))
    click.echo(f"readings: {readings.uri}/readings.csv (one row per plate), {readings.uri}/readings.json (every "
               "photo, every skipped file)")


@cli.command("deploy")
@click.option("--name", default=DEPLOY_DEFAULTS["name"], show_default=True, help="Deployment name.")
@click.option("--version", "version", default="production", show_default=True,
              help="Model version to serve: a stage (production, staging, latest) or a number.")
@click.option("--port", default=DEPLOY_DEFAULTS["port"], show_default=True, help="Port of the local predictions endpoint.")
@click.option("--workers", default=DEPLOY_DEFAULTS["workers"], show_default=True, help="Model microservice workers.")
@click.option("--host", default=DEPLOY_DEFAULTS["host"], show_default=True,
              help="Interface the predictions endpoint listens on (0.0.0.0: every interface; see README).")
@click.option("--grpc-port", default=DEPLOY_DEFAULTS["grpc_port"], show_default=True,
              help="Port of Seldon's gRPC API (Seldon/Predict) beside REST; 0: none.")
def deploy_command(name: str, version: str, port: int, workers: int, host: str, grpc_port: int) -> None:
    """Deploy an already trained model locally (no retraining). The running deployment of the
    same name keeps serving until the new one answers."""
    from pydantic import ValidationError

    from alpr.deployment.local import DeploymentError
    from alpr.deployment.targets import deploy_model
    from alpr.model import MODEL_NAME
    from pipelines.report import trained_model_version

    try:
        settings = DeploySettings(enabled=True, target="local", name=name, port=port, workers=workers, host=host,
                                  grpc_port=grpc_port)
    except ValidationError as exc:
        error = exc.errors()[0]
        raise click.ClickException(f"invalid --{error['loc'][0]} {error['input']!r}: {error['msg']}")
    try:
        trained, number = trained_model_version(version)
    except LookupError as exc:
        raise click.ClickException(str(exc))
    try:
        deployed = deploy_model(trained, str(number), settings)
    except DeploymentError as exc:
        raise click.ClickException(str(exc))
    grpc = f", gRPC at {deployed['grpc']}" if deployed.get("grpc") else ""
    click.echo(f"{name}: model {MODEL_NAME} v{number} serving at {deployed['url']}{grpc}")


@cli.command("dashboard")
@click.option("--port", default=8237, show_default=True, help="Port of the local ZenML server and dashboard.")
@click.option("--stop", is_flag=True, help="Stop the local server (runs go to the project's own store again).")
def dashboard_command(port: int, stop: bool) -> None:
    """Start the ZenML dashboard on this project's state and print its URL; later runs appear there."""
    from stacks.dashboard import DashboardError, start_dashboard, stop_dashboard

    if stop:
        click.echo("dashboard stopped" if stop_dashboard() else "no dashboard was running")
        return
    try:
        url = start_dashboard(port)
    except DashboardError as exc:
        raise click.ClickException(str(exc))
    click.echo(f"ZenML dashboard: {url}  (stop it with `python run.py dashboard --stop`)")


@cli.command("tensorboard")
@click.option("--run", "run_name", help="Pipeline run (name, id or prefix); default: the latest that trained a model.")
@click.option("--port", default=6006, show_default=True)
def tensorboard_command(run_name: str | None, port: int) -> None:
    """Open TensorBoard on a training run's logs (kept in its trained-model artifact, local or gs://)."""
    import os

    from pipelines.report import trained_model_of

    try:
        trained = trained_model_of(run_name)
    except (LookupError, KeyError) as exc:
        raise click.ClickException(str(exc))
    logdir = trained.local_dir() / "tensorboard"  # a local copy when the artifact is in a bucket
    if not logdir.is_dir():
        raise click.ClickException(f"{trained.uri} holds no tensorboard/ folder")
    click.echo(f"TensorBoard on {trained.uri}/tensorboard: http://127.0.0.1:{port}/  (Ctrl-C stops it)")
    sys.stdout.flush()
    exe = str(Path(sys.executable).with_name("tensorboard"))
    os.execv(exe, [exe, "--logdir", str(logdir), "--host", "127.0.0.1", "--port", str(port)])  # it is this process now


@cli.command("status")
@click.option("--name", help="One deployment (default: all).")
def status_command(name: str | None) -> None:
    """Show local deployments: URL, model, processes, readiness."""
    from alpr.deployment.local import DeploymentError, LocalDeployer

    deployer = LocalDeployer()
    names = [name] if name else [r.name for r in deployer.list()]
    if not names:
        click.echo("no local deployments")
    for n in names:
        try:
            click.echo(json.dumps(deployer.status(n), indent=1))
        except DeploymentError as exc:
            raise click.ClickException(str(exc))


@cli.command("logs")
@click.option("--name", default="alpr", show_default=True)
@click.option("--service", type=click.Choice(["model", "transformer", "router"]), default="model", show_default=True)
@click.option("--lines", default=50, show_default=True)
def logs_command(name: str, service: str, lines: int) -> None:
    """Print the last log lines of one process of a local deployment."""
    from alpr.deployment.local import DeploymentError, LocalDeployer

    try:
        click.echo(LocalDeployer().logs(name, service, lines))
    except DeploymentError as exc:
        raise click.ClickException(str(exc))


@cli.command("stop")
@click.option("--name", default="alpr", show_default=True)
def stop_command(name: str) -> None:
    """Stop a local deployment (all its processes)."""
    from alpr.deployment.local import DeploymentError, LocalDeployer

    try:
        stopped = LocalDeployer().stop(name)
    except DeploymentError as exc:
        raise click.ClickException(str(exc))
    click.echo(f"{name}: stopped" if stopped else f"{name}: nothing was running")


@cli.command("predict")
@click.argument("image", type=click.Path(exists=True, dir_okay=False))
@click.option("--url", help="Predictions endpoint (default: the local deployment --name).")
@click.option("--name", default="alpr", show_default=True)
def predict_command(image: str, url: str | None, name: str) -> None:
    """Send IMAGE (JPEG or PNG) to the REST endpoint and print the plates read."""
    import base64
    import urllib.error
    import urllib.request

    if url is None:
        from alpr.deployment.local import DeploymentError, LocalDeployer

        try:
            record = LocalDeployer().get(name)
        except DeploymentError as exc:
            raise click.ClickException(str(exc))
        if record is None:
            raise click.ClickException(f"no local deployment {name!r}: run `python run.py deploy` or pass --url")
        url = record.predict_url
    body = json.dumps({"binData": base64.b64encode(Path(image).read_bytes()).decode()}).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=120) as resp:
            doc = json.loads(resp.read())
    except urllib.error.HTTPError as err:
        raise click.ClickException(f"{url} answered {err.code}: {err.read().decode(errors='replace')}")
    except urllib.error.URLError as err:
        raise click.ClickException(f"{url} is not reachable: {err.reason}")
    plates = doc["jsonData"]["plates"]
    for p in plates:
        click.echo(f"{p['text']}  {p['shape']:<7}  region {p['region']}  type {p['vehicle_type']}  "
                   f"serial {p['serial']}  score {p['score']:.2f}  bbox {p['bbox']}")
    if not plates:
        click.echo("no plates found")
    model = doc["jsonData"].get("model", {})
    click.echo(f"(model {model.get('name')} v{model.get('version')})")


if __name__ == "__main__":
    cli()
