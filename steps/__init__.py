"""ZenML steps: thin adapters of the ``alpr`` library, one step per file, no stack-specific code."""

from steps.batch_predict import batch_predict
from steps.catalog_record import catalog_record
from steps.coco_merge import coco_merge
from steps.deploy import deploy
from steps.evaluate import evaluate
from steps.foreign_labelme import foreign_labelme
from steps.ingest import ingest
from steps.labelme_source import labelme_source
from steps.promote import promote
from steps.promotion_decision import promotion_decision
from steps.synthesize_labelme import synthesize_labelme
from steps.train import train
from steps.tune_select import tune_select
from steps.tune_worker import tune_worker

__all__ = [
    "batch_predict", "catalog_record", "coco_merge", "deploy", "evaluate", "foreign_labelme", "ingest",
    "labelme_source", "promote", "promotion_decision", "synthesize_labelme", "train", "tune_select", "tune_worker",
]
