"""Steps: hyperopt search over training parameters; the best parameters feed ``train``.

``tune`` runs the whole search in one step. With ``workers > 1`` the pipeline instead runs
``tune_prepare`` -> N x ``tune_worker`` -> ``tune_select``: the workers share the search
through the catalog database (each trial claimed once), so on Kubeflow they run in parallel.
"""

from __future__ import annotations

from typing import Annotated

from zenml import log_metadata, step
from zenml.types import MarkdownString

from alpr.catalog import DatasetCatalog
from alpr.folders import CocoDataset
from alpr.model.config import TrainParams
from alpr.tuning import TrialStore, TuneConfig, TuneResult, collect, run_search, run_trials, search_key


@step
def tune(
    dataset: CocoDataset, config: TuneConfig, base_params: TrainParams = TrainParams(), catalog_url: str | None = None
) -> tuple[
    Annotated[TrainParams, "best_params"],
    Annotated[TuneResult, "tuning_result"],
    Annotated[MarkdownString, "trials_table"],
]:
    catalog = DatasetCatalog(catalog_url)
    try:
        key = search_key(config, base_params, dataset.summary().content_hash)
        result = run_search(config, base_params, dataset.local_dir(), TrialStore(catalog), key)
    finally:
        catalog.close()
    best, full, table = _outputs(result)
    return best, full, table  # a literal tuple: ZenML reads it as three artifacts


@step
def tune_prepare(
    dataset: CocoDataset, config: TuneConfig, base_params: TrainParams = TrainParams(), catalog_url: str | None = None
) -> Annotated[str, "search_key"]:
    """Name the search and free trials that an interrupted run had claimed."""
    catalog = DatasetCatalog(catalog_url)
    try:
        key = search_key(config, base_params, dataset.summary().content_hash)
        freed = TrialStore(catalog).release_unfinished(key)
    finally:
        catalog.close()
    print(f"tune_prepare: search {key[:12]}, {freed} unfinished claim(s) freed")
    return key


@step
def tune_worker(
    dataset: CocoDataset, search: str, config: TuneConfig, base_params: TrainParams = TrainParams(),
    catalog_url: str | None = None, worker: int = 0,
) -> Annotated[int, "trials_run"]:
    catalog = DatasetCatalog(catalog_url)
    try:
        ran = run_trials(config, base_params, dataset.local_dir(), TrialStore(catalog), search, worker=f"step-{worker}")
    finally:
        catalog.close()
    print(f"tune_worker {worker}: ran {ran} trial(s)")
    return ran


@step
def tune_select(
    search: str, config: TuneConfig, base_params: TrainParams = TrainParams(), catalog_url: str | None = None
) -> tuple[
    Annotated[TrainParams, "best_params"],
    Annotated[TuneResult, "tuning_result"],
    Annotated[MarkdownString, "trials_table"],
]:
    catalog = DatasetCatalog(catalog_url)
    try:
        result = collect(config, base_params, TrialStore(catalog), search)
    finally:
        catalog.close()
    best, full, table = _outputs(result)
    return best, full, table  # a literal tuple: ZenML reads it as three artifacts


def _outputs(result: TuneResult) -> tuple[TrainParams, TuneResult, MarkdownString]:
    failed = sum(t.status == "failed" for t in result.trials)
    log_metadata(metadata={"tuning": {"objective": result.objective, "best_value": result.best_value,
                                      "best_trial": result.best_trial, "trials": len(result.trials),
                                      "failed": failed}}, infer_model=True)
    print(f"tune: best {result.objective} {result.best_value:.4f} (trial {result.best_trial}); "
          f"{len(result.trials)} trials, {failed} failed")
    return result.best_params, result, MarkdownString(result.table_markdown())
