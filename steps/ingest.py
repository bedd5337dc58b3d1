"""Step: validate every labelme file; report problems by file, skip bad ones, fail if too many."""

from __future__ import annotations

from typing import Annotated

from zenml import step
from zenml.logger import get_logger

from alpr.artifacts import LabelmeFolder
from alpr.labelme import AnnotationSet, ValidationReport, read_labelme_folder
from steps.materializers import ValidationReportMaterializer

logger = get_logger(__name__)


@step(output_materializers={"validation_report": ValidationReportMaterializer})
def ingest(
    folder: LabelmeFolder, max_bad_fraction: float = 0.1
) -> tuple[Annotated[AnnotationSet, "annotations"], Annotated[ValidationReport, "validation_report"]]:
    """Takes a labelme folder; gives the valid annotations and the report of every bad file and
    why. Fails, naming the first problems, when more than ``max_bad_fraction`` of the files are bad."""
    annotations, report = read_labelme_folder(folder.uri, max_bad_fraction=max_bad_fraction)
    logger.info("ingest: %s; skipped %d bad file(s)", report.summary(), report.bad)
    return annotations, report
