"""Step: run the trials of a hyperopt search that no other worker has claimed."""

from __future__ import annotations

from typing import Annotated

from zenml import get_step_context, step
from zenml.exceptions import RunInterruptedException
from zenml.logger import get_logger

from alpr.artifacts import CocoDataset
from alpr.catalog import DatasetCatalog
from alpr.model.training_config import TrainParams
from alpr.tuning import TrialStore, TuneConfig, run_trials, search_key

logger = get_logger(__name__)


@step
def tune_worker(
    dataset: CocoDataset, config: TuneConfig, base_params: TrainParams = TrainParams(),
    catalog_url: str | None = None, worker: int = 0,
) -> Annotated[int, "trials_run"]:
    """Trains and scores trials of the search (``config`` over ``base_params`` on the dataset:
    the same search always has the same key, so a rerun resumes it) on the train/val splits,
    each stored in the catalog as it ends; several workers share one search (in parallel on
    Kubeflow). First frees the trials an earlier, interrupted run had claimed.
    Gives how many trials this worker ran."""
    run = str(get_step_context().pipeline_run.id)
    with DatasetCatalog(catalog_url) as catalog:
        store = TrialStore(catalog)
        key = search_key(config, base_params, dataset.summary().content_hash)
        freed = store.release_unfinished(key, except_run=run)
        ran = run_trials(config, base_params, dataset.local_dir(), store, key, worker=f"{run}/{worker}",
                         interruptions=(RunInterruptedException,))
    logger.info("tune_worker %d: search %s, %d stale claim(s) freed, ran %d trial(s)", worker, key[:12], freed, ran)
    return ran
