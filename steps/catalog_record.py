"""Step: record the annotation set and the merged dataset in the dataset catalog."""

from __future__ import annotations

from typing import Annotated, Any

from zenml import get_step_context, step
from zenml.logger import get_logger

from alpr.artifacts import CocoDataset, LabelmeFolder
from alpr.catalog import ANNOTATIONS, COCO, DatasetCatalog
from alpr.labelme import AnnotationSet, ValidationReport

logger = get_logger(__name__)


@step
def catalog_record(
    folder: LabelmeFolder,
    annotations: AnnotationSet,
    report: ValidationReport,
    dataset: CocoDataset,
    dataset_name: str = "synth-plates",
    catalog_url: str | None = None,
) -> Annotated[dict[str, Any], "catalog_entries"]:
    """Records the validated annotations and the merged dataset (counts, split, ZenML artifact
    ids) under ``dataset_name``; gives both catalog rows. Idempotent: the same content recorded
    twice keeps one row (and its version)."""
    inputs = get_step_context().inputs
    artifact_id = {name: str(inputs[name][0].id) for name in ("annotations", "dataset")}
    with DatasetCatalog(catalog_url) as catalog:
        ann = catalog.record(
            kind=ANNOTATIONS,
            name=dataset_name,
            content_hash=annotations.content_hash,
            source=folder.origin or folder.uri,
            counts={"images": len(annotations.images), "bad_files": report.bad, **annotations.label_counts()},
            zenml_artifact_id=artifact_id["annotations"],
        )
        summary = dataset.summary()
        coco = catalog.record(
            kind=COCO,
            name=dataset_name,
            content_hash=summary.content_hash,
            source=f"annotations:{dataset_name}:v{ann.entry['version']}",
            counts={"images": summary.images, "annotations": summary.annotations, "plates": summary.plates},
            split=summary.split.model_dump(),
            zenml_artifact_id=artifact_id["dataset"],
        )
    for label, res in (("annotations", ann), ("coco", coco)):
        state = "recorded" if res.created else "already recorded"
        logger.info("catalog (%s): %s %s v%s %s", catalog.safe_url, label, dataset_name, res.entry["version"], state)
    return {"catalog": catalog.safe_url, "annotations": ann.entry, "coco": coco.entry}
