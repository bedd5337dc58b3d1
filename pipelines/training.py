"""The training pipeline: dataset steps -> (tune) -> train -> evaluate (-> promote and deploy),
linked to a ZenML Model version."""

from __future__ import annotations

from zenml import Model, pipeline

from alpr.artifacts import CocoDataset
from alpr.coco import SplitSpec
from alpr.dataset_params import DatasetParams, ForeignTestParams
from alpr.deployment.settings import DeploySettings
from alpr.model import MODEL_NAME
from alpr.model.training_config import TrainParams
from alpr.tuning import TuneConfig
from pipelines.dataset import dataset_steps
from steps import (coco_merge, deploy, evaluate, foreign_labelme, ingest, promote, promotion_decision, train,
                   tune_select, tune_worker)


@pipeline(name="training", model=Model(name=MODEL_NAME, description="Swin Mask R-CNN plate detector"))
def training_pipeline(
    data: DatasetParams = DatasetParams(),
    train_params: TrainParams = TrainParams(),
    tuning: TuneConfig = TuneConfig(),
    deploy_settings: DeploySettings = DeploySettings(),
    foreign_test: ForeignTestParams = ForeignTestParams(),
) -> None:
    """Builds the dataset, tunes (``tuning.enabled``), trains and scores the model on the
    held-out test split and (``foreign_test.enabled``) on the foreign test set; with
    ``deploy_settings.enabled`` serves it and makes it the production version if it reads
    plates better than production on both."""
    dataset = dataset_steps(data)
    params = tuned_params(dataset, tuning, train_params, data.catalog_url) if tuning.enabled else train_params
    model = train(dataset, params=params)
    evaluation, _ = evaluate(model, dataset, split="test")
    foreign = foreign_evaluation = None
    if foreign_test.enabled:
        foreign, foreign_evaluation = foreign_test_set(model, foreign_test)
    if deploy_settings.enabled:
        decision = promotion_decision(evaluation, dataset, force=deploy_settings.force,
                                      foreign_evaluation=foreign_evaluation, foreign_dataset=foreign)
        deployment = deploy(model, decision, settings=deploy_settings)
        promote(decision, deployment)


def foreign_test_set(model, params: ForeignTestParams):
    """Photos from the foreign renderer through the same ingest and COCO path as the training
    data (all of them in the test split), scored like the test split: gives the dataset and
    the evaluation (logged as ``foreign_*``)."""
    folder = foreign_labelme(n_images=params.images, seed=params.seed, options=params.options)
    annotations, _ = ingest(folder, max_bad_fraction=0.0, id="ingest_foreign")
    dataset = coco_merge(annotations, split=SplitSpec(train=0.0, val=0.0, test=1.0), id="coco_merge_foreign")
    evaluation, _ = evaluate(model, dataset, split="test", name="foreign", id="evaluate_foreign")
    return dataset, evaluation


def tuned_params(dataset: CocoDataset, tuning: TuneConfig, base: TrainParams, catalog_url: str | None):
    """The search: ``tuning.workers`` x ``tune_worker`` (parallel on Kubeflow) -> ``tune_select``;
    gives the best parameters."""
    workers = [f"tune_worker_{i}" for i in range(tuning.workers)]
    for i, worker_id in enumerate(workers):
        tune_worker(dataset, config=tuning, base_params=base, catalog_url=catalog_url, worker=i, id=worker_id)
    best_params, _, _ = tune_select(dataset, config=tuning, base_params=base, catalog_url=catalog_url, after=workers)
    return best_params
