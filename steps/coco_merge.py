"""Step: merge valid annotations into COCO train/val/test (seeded, stable split)."""

from __future__ import annotations

import tempfile
from typing import Annotated

from zenml import step
from zenml.logger import get_logger

from alpr.artifacts import CocoDataset
from alpr.coco import SplitSpec, merge_to_coco
from alpr.labelme import AnnotationSet
from steps.materializers import FolderMaterializer

logger = get_logger(__name__)


@step(output_materializers=FolderMaterializer)
def coco_merge(
    annotations: AnnotationSet, split: SplitSpec = SplitSpec()
) -> Annotated[CocoDataset, "coco_dataset"]:
    """Takes the validated annotations and the split fractions; gives the COCO dataset folder
    (``images/``, ``annotations/{train,val,test}.json``, ``summary.json``)."""
    out = tempfile.mkdtemp(prefix="alpr-coco-")
    summary = merge_to_coco(annotations, out, split)
    logger.info("coco_merge: images %s, annotations %s", summary.images, summary.annotations)
    return CocoDataset(uri=out, origin=annotations.source, ephemeral=True)
