"""The dataset pipeline: labelme source (or generated images) -> ingest -> coco_merge -> catalog_record."""

from __future__ import annotations

from zenml import pipeline

from alpr.artifacts import CocoDataset
from alpr.dataset_params import DatasetParams
from alpr.fsutil import tree_fingerprint
from steps import catalog_record, coco_merge, ingest, labelme_source, synthesize_labelme


def dataset_steps(data: DatasetParams) -> CocoDataset:
    """The dataset stage, reusable inside larger pipelines (training): gives the COCO dataset."""
    if data.source_uri:
        folder = labelme_source(uri=data.source_uri, fingerprint=tree_fingerprint(data.source_uri))
    else:
        folder = synthesize_labelme(n_images=data.synth_images, seed=data.synth_seed, options=data.synth_options)
    annotations, report = ingest(folder, max_bad_fraction=data.max_bad_fraction)
    dataset = coco_merge(annotations, split=data.split)
    catalog_record(folder, annotations, report, dataset, dataset_name=data.name, catalog_url=data.catalog_url)
    return dataset


@pipeline(name="dataset")
def dataset_pipeline(data: DatasetParams = DatasetParams()) -> None:
    """Turns a labelme folder (or generated images) into a validated, split COCO dataset,
    recorded as a new version in the dataset catalog."""
    dataset_steps(data)
