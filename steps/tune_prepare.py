"""Step: name a hyperopt search and free the trials an interrupted run had claimed."""

from __future__ import annotations

from typing import Annotated

from zenml import step
from zenml.logger import get_logger

from alpr.artifacts import CocoDataset
from alpr.catalog import DatasetCatalog
from alpr.model.training_config import TrainParams
from alpr.tuning import TrialStore, TuneConfig, search_key

logger = get_logger(__name__)


@step
def tune_prepare(
    dataset: CocoDataset, config: TuneConfig, base_params: TrainParams = TrainParams(), catalog_url: str | None = None
) -> Annotated[str, "search_key"]:
    """Takes the dataset, the search config and the base parameters; gives the search's key
    (the same search on the same data always has the same key, so it resumes)."""
    with DatasetCatalog(catalog_url) as catalog:
        key = search_key(config, base_params, dataset.summary().content_hash)
        freed = TrialStore(catalog).release_unfinished(key)
    logger.info("tune_prepare: search %s, %d unfinished claim(s) freed", key[:12], freed)
    return key
