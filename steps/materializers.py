"""Store folder artifacts (labelme folders, COCO datasets) in whatever artifact store is active,
and give the dashboard something to look at: a COCO dataset's sample photos with their
annotations (PNG) and class counts per split (CSV), a validation report's rejected files."""

from __future__ import annotations

import shutil
from typing import Any, ClassVar

import cv2
from zenml.enums import ArtifactType, VisualizationType
from zenml.materializers.base_materializer import BaseMaterializer
from zenml.materializers.pydantic_materializer import PydanticMaterializer

from alpr.artifacts import CocoDataset, FolderArtifact, LabelmeFolder, TrainedModel
from alpr.batch import BatchReadings
from alpr.classes import CLASS_NAMES
from alpr.fsutil import is_local, open_fs
from alpr.labelme import ValidationReport
from alpr.tuning import TuneResult
from alpr.visualize import samples_grid, trials_plot

ORIGIN_FILE = "origin.txt"


class FolderMaterializer(BaseMaterializer):
    """Copies the folder into the artifact URI; loading is free (the object points there)."""

    ASSOCIATED_TYPES: ClassVar[tuple[type[Any], ...]] = (LabelmeFolder, CocoDataset, TrainedModel)
    ASSOCIATED_ARTIFACT_TYPE: ClassVar[ArtifactType] = ArtifactType.DATA

    def save(self, data: FolderArtifact) -> None:
        fs, src = open_fs(data.uri)
        src = src.rstrip("/")
        store = self.artifact_store
        for path in sorted(fs.find(src)):
            target = f"{self.uri.rstrip('/')}/{path[len(src) + 1:]}"
            store.makedirs(target.rsplit("/", 1)[0])
            with fs.open(path, "rb") as fin, store.open(target, "wb") as fout:
                shutil.copyfileobj(fin, fout, length=1 << 20)
        with store.open(f"{self.uri.rstrip('/')}/{ORIGIN_FILE}", "w") as f:
            f.write(data.origin)
        if data.ephemeral and is_local(data.uri):
            shutil.rmtree(src, ignore_errors=True)

    def load(self, data_type: type[Any]) -> FolderArtifact:
        origin_uri = f"{self.uri.rstrip('/')}/{ORIGIN_FILE}"
        origin = ""
        if self.artifact_store.exists(origin_uri):
            with self.artifact_store.open(origin_uri, "r") as f:
                origin = f.read()
        return data_type(uri=self.uri, origin=origin)

    def extract_metadata(self, data: FolderArtifact) -> dict[str, Any]:
        return self._stored(data).metadata()

    def save_visualizations(self, data: FolderArtifact) -> dict[str, VisualizationType]:
        data = self._stored(data)
        lines = [f"# {type(data).__name__}", "", f"- stored at `{self.uri}`", f"- origin: `{data.origin}`"]
        if isinstance(data, CocoDataset):
            s = data.summary()
            lines += ["", "| split | images | annotations | plates |", "|---|---|---|---|"]
            lines += [f"| {k} | {s.images[k]} | {s.annotations[k]} | {s.plates[k]} |" for k in s.images]
        base = self.uri.rstrip("/")
        with self.artifact_store.open(f"{base}/summary.md", "w") as f:
            f.write("\n".join(lines) + "\n")
        out = {f"{base}/summary.md": VisualizationType.MARKDOWN}
        if isinstance(data, CocoDataset):
            s = data.summary()
            with self.artifact_store.open(f"{base}/class_counts.csv", "w") as f:
                f.write("class," + ",".join(s.class_counts) + "\n")
                f.writelines(f"{name}," + ",".join(str(s.class_counts[k][name]) for k in s.class_counts) + "\n"
                             for name in CLASS_NAMES)
            split = max(s.images, key=s.images.get)  # the largest split has the most to show
            with self.artifact_store.open(f"{base}/samples.png", "wb") as f:
                f.write(cv2.imencode(".png", samples_grid(data.uri, split))[1].tobytes())
            out.update({f"{base}/class_counts.csv": VisualizationType.CSV, f"{base}/samples.png": VisualizationType.IMAGE})
        return out

    def _stored(self, data: FolderArtifact) -> FolderArtifact:
        """The stored copy (the step's temporary folder is gone after ``save``)."""
        return type(data)(uri=self.uri, origin=data.origin)


class ValidationReportMaterializer(PydanticMaterializer):
    """A validation report as JSON, shown as a table of the rejected files and why."""

    ASSOCIATED_TYPES: ClassVar[tuple[type[Any], ...]] = (ValidationReport,)

    def save_visualizations(self, data: ValidationReport) -> dict[str, VisualizationType]:
        lines = [f"# Validation of `{data.source}`", "", f"**{data.summary()}**", ""]
        if data.problems:
            lines += ["| file | why it was rejected |", "|---|---|"]
            lines += [f"| `{p.file}` | {p.reason.replace('|', '/')} |" for p in data.problems]
        else:
            lines.append("Every file is valid.")
        path = f"{self.uri.rstrip('/')}/report.md"
        with self.artifact_store.open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        return {path: VisualizationType.MARKDOWN}


class TuneResultMaterializer(PydanticMaterializer):
    """A tuning result as JSON, shown as the objective per trial (PNG) and the trials table."""

    ASSOCIATED_TYPES: ClassVar[tuple[type[Any], ...]] = (TuneResult,)

    def save_visualizations(self, data: TuneResult) -> dict[str, VisualizationType]:
        base = self.uri.rstrip("/")
        values = [(t.number, t.metrics.get(data.objective) if t.status == "ok" else None) for t in data.trials]
        with self.artifact_store.open(f"{base}/trials.png", "wb") as f:
            f.write(trials_plot(data.objective, values, data.best_trial))
        with self.artifact_store.open(f"{base}/trials.md", "w") as f:
            f.write(data.table_markdown())
        return {f"{base}/trials.png": VisualizationType.IMAGE, f"{base}/trials.md": VisualizationType.MARKDOWN}


class BatchReadingsMaterializer(PydanticMaterializer):
    """Batch predictions as ``readings.json`` (every photo, every skipped file), ``readings.csv``
    (one row per plate) and a summary; the dashboard shows the summary and the CSV."""

    ASSOCIATED_TYPES: ClassVar[tuple[type[Any], ...]] = (BatchReadings,)
    #: the files users open (ZenML's own copy, which it loads from, has a name of its choosing)
    FILES = ("readings.json", "readings.csv")

    def save(self, data: BatchReadings) -> None:
        super().save(data)
        base = self.uri.rstrip("/")
        with self.artifact_store.open(f"{base}/readings.json", "w") as f:
            f.write(data.model_dump_json(indent=1))
        with self.artifact_store.open(f"{base}/readings.csv", "w") as f:
            f.write(data.csv_text())

    def save_visualizations(self, data: BatchReadings) -> dict[str, VisualizationType]:
        base = self.uri.rstrip("/")
        with self.artifact_store.open(f"{base}/summary.md", "w") as f:
            f.write(data.summary_markdown())
        return {f"{base}/summary.md": VisualizationType.MARKDOWN, f"{base}/readings.csv": VisualizationType.CSV}
