"""Say where a run's results are (name, status, dashboard URL, each output artifact's URI),
and find trained models by run or by registered model version."""

from __future__ import annotations

from zenml.client import Client
from zenml.enums import StoreType
from zenml.models import PipelineRunResponse


def describe_run(run: PipelineRunResponse) -> str:
    run = Client().get_pipeline_run(run.id)  # refreshed: final status and outputs
    lines = [f"run: {run.name}", f"status: {run.status.value}"]
    url = dashboard_url(run)
    if url:
        lines.append(f"dashboard: {url}")
    lines.append("outputs:")
    for step_name, step_run in run.steps.items():
        for output_name, versions in step_run.outputs.items():
            for version in versions:
                lines.append(f"  {step_name}.{output_name} (v{version.version}): {version.uri}")
    return "\n".join(lines)


def dashboard_url(run: PipelineRunResponse) -> str | None:
    """The run's page when a ZenML server is connected; None with the embedded store."""
    client = Client()
    if client.zen_store.type != StoreType.REST:
        return None
    from zenml.utils.dashboard_utils import get_run_url

    return get_run_url(run)


def trained_model_of(run_name: str | None = None):
    """The ``trained_model`` artifact of run ``run_name`` (name, id or prefix), else of the
    latest run that trained one; a LookupError says which runs were looked at."""
    client = Client()
    runs = [client.get_pipeline_run(run_name)] if run_name else client.list_pipeline_runs(
        sort_by="desc:created", size=50).items
    for run in runs:
        step = run.steps.get("train")
        if step is not None and step.outputs.get("trained_model"):
            return step.outputs["trained_model"][0].load()
    where = f"run {run_name!r}" if run_name else f"the latest {len(runs)} runs"
    raise LookupError(f"{where}: no trained_model artifact (train a model with `python run.py`)")


def trained_model_version(version: str):
    """The ``trained_model`` artifact of the registered model version ``version`` (a stage:
    production, staging, latest; or a number) and that version's number; a LookupError says
    what is missing."""
    from alpr.model import MODEL_NAME

    try:
        model_version = Client().get_model_version(MODEL_NAME, version)
    except KeyError as exc:
        raise LookupError(f"no {MODEL_NAME} model version {version!r}; train one with `python run.py`") from exc
    return model_version.get_artifact("trained_model").load(), model_version.number
