"""The dataset pipeline: labelme source -> ingest -> coco_merge -> catalog_record."""

from __future__ import annotations

from zenml import pipeline

from alpr.coco import SplitSpec
from alpr.folders import CocoDataset
from alpr.synth import SynthOptions
from steps import catalog_record, coco_merge, ingest, labelme_source, synthesize_labelme


def dataset_steps(
    source_uri: str,
    synth_images: int,
    synth_seed: int,
    synth_options: SynthOptions | None,
    max_bad_fraction: float,
    split: SplitSpec,
    dataset_name: str,
    catalog_url: str | None,
) -> CocoDataset:
    """The dataset stage, reusable inside larger pipelines (training, tuning)."""
    if source_uri:
        folder = labelme_source(uri=source_uri)
    else:
        folder = synthesize_labelme(n_images=synth_images, seed=synth_seed, options=synth_options)
    annotations, report = ingest(folder, max_bad_fraction=max_bad_fraction)
    dataset = coco_merge(annotations, split=split)
    catalog_record(
        folder, annotations, report, dataset, dataset_name=dataset_name, catalog_url=catalog_url
    )
    return dataset


@pipeline(name="dataset")
def dataset_pipeline(
    source_uri: str = "",
    synth_images: int = 300,
    synth_seed: int = 1,
    synth_options: SynthOptions | None = None,
    max_bad_fraction: float = 0.1,
    split: SplitSpec = SplitSpec(),
    dataset_name: str = "synth-plates",
    catalog_url: str | None = None,
) -> None:
    """Turn a labelme folder (or generated images) into a versioned COCO dataset."""
    dataset_steps(
        source_uri, synth_images, synth_seed, synth_options, max_bad_fraction, split, dataset_name, catalog_url
    )
