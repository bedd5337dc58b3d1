"""The training pipeline: dataset steps -> (tune) -> train -> evaluate (-> promote and deploy),
linked to a ZenML Model version."""

from __future__ import annotations

from zenml import Model, pipeline

from alpr.artifacts import CocoDataset
from alpr.dataset_params import DatasetParams
from alpr.deployment.settings import DeploySettings
from alpr.model import MODEL_NAME
from alpr.model.training_config import TrainParams
from alpr.tuning import TuneConfig
from pipelines.dataset import dataset_steps
from steps import deploy, evaluate, promote, promotion_decision, train, tune_select, tune_worker


@pipeline(name="training", model=Model(name=MODEL_NAME, description="Swin Mask R-CNN plate detector"))
def training_pipeline(
    data: DatasetParams = DatasetParams(),
    train_params: TrainParams = TrainParams(),
    tuning: TuneConfig = TuneConfig(),
    deploy_settings: DeploySettings = DeploySettings(),
) -> None:
    """Builds the dataset, tunes (``tuning.enabled``), trains and scores the model on the
    held-out test split; with ``deploy_settings.enabled`` serves it and makes it the production
    version if it reads plates better than production."""
    dataset = dataset_steps(data)
    params = tuned_params(dataset, tuning, train_params, data.catalog_url) if tuning.enabled else train_params
    model = train(dataset, params=params)
    evaluation, _ = evaluate(model, dataset, split="test")
    if deploy_settings.enabled:
        decision = promotion_decision(evaluation, dataset, force=deploy_settings.force)
        deployment = deploy(model, decision, settings=deploy_settings)
        promote(decision, deployment)


def tuned_params(dataset: CocoDataset, tuning: TuneConfig, base: TrainParams, catalog_url: str | None):
    """The search: ``tuning.workers`` x ``tune_worker`` (parallel on Kubeflow) -> ``tune_select``;
    gives the best parameters."""
    workers = [f"tune_worker_{i}" for i in range(tuning.workers)]
    for i, worker_id in enumerate(workers):
        tune_worker(dataset, config=tuning, base_params=base, catalog_url=catalog_url, worker=i, id=worker_id)
    best_params, _, _ = tune_select(dataset, config=tuning, base_params=base, catalog_url=catalog_url, after=workers)
    return best_params
