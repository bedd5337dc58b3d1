"""Step: merge valid annotations into COCO train/val/test (seeded, stable split)."""

from __future__ import annotations

import tempfile
from typing import Annotated

from zenml import step

from alpr.coco import SplitSpec, merge_to_coco
from alpr.folders import CocoDataset
from alpr.labelme import AnnotationSet
from steps.materializers import FolderMaterializer


@step(output_materializers=FolderMaterializer)
def coco_merge(
    annotations: AnnotationSet, split: SplitSpec = SplitSpec()
) -> Annotated[CocoDataset, "coco_dataset"]:
    out = tempfile.mkdtemp(prefix="alpr-coco-")
    summary = merge_to_coco(annotations, out, split)
    print(f"coco_merge: images {summary.images}, annotations {summary.annotations}")
    return CocoDataset(uri=out, origin=annotations.source, ephemeral=True)
