"""Step: hyperopt search over training parameters; its best parameters feed ``train``."""

from __future__ import annotations

from typing import Annotated

from zenml import log_metadata, step
from zenml.types import MarkdownString

from alpr.catalog import DatasetCatalog
from alpr.folders import CocoDataset
from alpr.model.config import TrainParams
from alpr.tuning import TrialStore, TuneConfig, TuneResult, run_search, search_key


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
    failed = sum(t.status == "failed" for t in result.trials)
    log_metadata(metadata={"tuning": {"objective": result.objective, "best_value": result.best_value,
                                      "best_trial": result.best_trial, "trials": len(result.trials),
                                      "failed": failed}}, infer_model=True)
    print(f"tune: best {result.objective} {result.best_value:.4f} (trial {result.best_trial}); "
          f"{len(result.trials)} trials, {failed} failed")
    return result.best_params, result, MarkdownString(result.table_markdown())
