"""Step: the best parameters of a finished hyperopt search, for ``train``."""

from __future__ import annotations

from typing import Annotated

from zenml import log_metadata, step
from zenml.logger import get_logger
from zenml.types import MarkdownString

from alpr.artifacts import CocoDataset
from alpr.catalog import DatasetCatalog
from alpr.model.training_config import TrainParams
from alpr.tuning import TrialStore, TuneConfig, TuneResult, collect, search_key
from steps.materializers import TuneResultMaterializer

logger = get_logger(__name__)


@step(output_materializers={"tuning_result": TuneResultMaterializer})
def tune_select(
    dataset: CocoDataset, config: TuneConfig, base_params: TrainParams = TrainParams(), catalog_url: str | None = None
) -> tuple[
    Annotated[TrainParams, "best_params"],
    Annotated[TuneResult, "tuning_result"],
    Annotated[MarkdownString, "trials_table"],
]:
    """Collects the stored trials of the search (``config`` over ``base_params`` on the dataset);
    gives the best parameters (the base ones when no trial learned anything), the full result
    and the trials as a table."""
    with DatasetCatalog(catalog_url) as catalog:
        key = search_key(config, base_params, dataset.summary().content_hash)
        result = collect(config, base_params, TrialStore(catalog), key)
    failed = sum(t.status == "failed" for t in result.trials)
    log_metadata(metadata={"tuning": {"objective": result.objective, "best_value": result.best_value,
                                      "best_trial": result.best_trial, "trials": len(result.trials),
                                      "failed": failed}}, infer_model=True)
    logger.info("tune: best %s %.4f (trial %d); %d trials, %d failed", result.objective, result.best_value,
                result.best_trial, len(result.trials), failed)
    table = MarkdownString(result.table_markdown())
    return result.best_params, result, table  # a literal tuple: ZenML reads it as three artifacts
