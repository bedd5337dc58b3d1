"""Step: validate every labelme file; report problems by file, skip bad ones, fail if too many."""

from __future__ import annotations

from typing import Annotated

from zenml import step

from alpr.folders import LabelmeFolder
from alpr.labelme import AnnotationSet, ValidationReport, read_labelme_folder


@step
def ingest(
    folder: LabelmeFolder, max_bad_fraction: float = 0.1
) -> tuple[Annotated[AnnotationSet, "annotations"], Annotated[ValidationReport, "validation_report"]]:
    annotations, report = read_labelme_folder(folder.uri, max_bad_fraction=max_bad_fraction)
    print(f"ingest: {report.summary()}; skipped {report.bad} bad file(s)")
    return annotations, report
