"""Step: run the trials of a search that no other worker has claimed."""

from __future__ import annotations

from typing import Annotated

from zenml import step
from zenml.logger import get_logger

from alpr.artifacts import CocoDataset
from alpr.catalog import DatasetCatalog
from alpr.model.training_config import TrainParams
from alpr.tuning import TrialStore, TuneConfig, run_trials

logger = get_logger(__name__)


@step
def tune_worker(
    dataset: CocoDataset, search: str, config: TuneConfig, base_params: TrainParams = TrainParams(),
    catalog_url: str | None = None, worker: int = 0,
) -> Annotated[int, "trials_run"]:
    """Trains and scores trials of ``search`` on the dataset's train/val splits, each stored in
    the catalog as it ends; several workers share one search (in parallel on Kubeflow).
    Gives how many trials this worker ran."""
    with DatasetCatalog(catalog_url) as catalog:
        ran = run_trials(config, base_params, dataset.local_dir(), TrialStore(catalog), search,
                         worker=f"step-{worker}")
    logger.info("tune_worker %d: ran %d trial(s)", worker, ran)
    return ran
