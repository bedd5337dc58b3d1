"""Run the ALPR pipelines: ``python run.py --stack local``.

Thin on purpose: pick the stack, pick a config YAML under configs/, run its pipeline, and say
where the results are. Everything else lives in pipelines/, steps/ and alpr/.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from alpr.settings import PROJECT_ROOT, apply_environment_defaults

apply_environment_defaults()  # before ZenML is imported: keep its state in .zenml/

DEFAULT_CONFIG = "dataset.yaml"


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
    """Run an ALPR pipeline end to end (default: the dataset pipeline on generated data)."""
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
    from alpr.config import load_yaml
    from pipelines import PIPELINES
    from pipelines.report import describe_run
    from stacks import ensure_stack
    from zenml.client import Client
    from zenml.enums import ExecutionStatus

    pipeline_name = (load_yaml(str(config_path)).get("extra") or {}).get("pipeline")
    if pipeline_name not in PIPELINES:
        raise click.BadParameter(
            f"{config_path}: extra.pipeline must be one of {sorted(PIPELINES)}, got {pipeline_name!r}",
            param_hint="--config",
        )
    _ensure_repository()
    if stack:
        ensure_stack(stack)
    active = Client().active_stack_model.name
    click.echo(f"pipeline '{pipeline_name}' on stack '{active}' with {config_path}")
    options: dict = {"config_path": str(config_path)}
    if no_cache:
        options["enable_cache"] = False
    run = PIPELINES[pipeline_name].with_options(**options)()
    if run is None:  # e.g. a remote orchestrator that only logged a failed submission
        click.echo("no pipeline run was created; see the log above", err=True)
        sys.exit(1)
    click.echo(describe_run(run))
    status = Client().get_pipeline_run(run.id).status
    if status != ExecutionStatus.COMPLETED:
        click.echo(f"run {run.name} did not complete (status: {status.value})", err=True)
        sys.exit(1)


def _ensure_repository() -> None:
    """ZenML's source root is the project root (``.zen/``), wherever run.py is called from."""
    from zenml.client import Client

    if not (PROJECT_ROOT / ".zen").exists():
        Client.initialize(root=PROJECT_ROOT)


if __name__ == "__main__":
    cli()
