"""The training pipeline: dataset steps (-> tune) -> train -> evaluate (-> deploy), linked to a ZenML Model version."""

from __future__ import annotations

from zenml import Model, pipeline

from alpr.coco import SplitSpec
from alpr.deployment.settings import DeploySettings
from alpr.model.config import TrainParams
from alpr.synth import SynthOptions
from alpr.tuning import TuneConfig
from pipelines.dataset import dataset_steps
from steps import deploy, evaluate, train, tune, tune_prepare, tune_select, tune_worker

MODEL_NAME = "alpr-detector"


@pipeline(name="training", model=Model(name=MODEL_NAME, description="Swin Mask R-CNN plate detector"))
def training_pipeline(
    source_uri: str = "",
    synth_images: int = 300,
    synth_seed: int = 1,
    synth_options: SynthOptions | None = None,
    max_bad_fraction: float = 0.1,
    split: SplitSpec = SplitSpec(),
    dataset_name: str = "synth-plates",
    catalog_url: str | None = None,
    train_params: TrainParams = TrainParams(),
    tuning: TuneConfig = TuneConfig(),
    deploy_settings: DeploySettings = DeploySettings(),
) -> None:
    dataset = dataset_steps(
        source_uri, synth_images, synth_seed, synth_options, max_bad_fraction, split, dataset_name, catalog_url
    )
    if tuning.enabled and tuning.workers > 1:
        search = tune_prepare(dataset, config=tuning, base_params=train_params, catalog_url=catalog_url)
        workers = [f"tune_worker_{i}" for i in range(tuning.workers)]
        for i, worker_id in enumerate(workers):
            tune_worker(dataset, search, config=tuning, base_params=train_params, catalog_url=catalog_url,
                        worker=i, id=worker_id)
        best_params, _, _ = tune_select(search, config=tuning, base_params=train_params, catalog_url=catalog_url,
                                        after=workers)
        model = train(dataset, params=best_params)
    elif tuning.enabled:
        best_params, _, _ = tune(dataset, config=tuning, base_params=train_params, catalog_url=catalog_url)
        model = train(dataset, params=best_params)
    else:
        model = train(dataset, params=train_params)
    evaluation = evaluate(model, dataset, split="test")
    if deploy_settings.enabled:
        deploy(model, evaluation, dataset, settings=deploy_settings)
