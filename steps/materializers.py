"""Store folder artifacts (labelme folders, COCO datasets) in whatever artifact store is active."""

from __future__ import annotations

import shutil
from typing import Any, ClassVar

from zenml.enums import ArtifactType, VisualizationType
from zenml.materializers.base_materializer import BaseMaterializer

from alpr.artifacts import CocoDataset, FolderArtifact, LabelmeFolder, TrainedModel
from alpr.fsutil import is_local, open_fs

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
        path = f"{self.uri.rstrip('/')}/summary.md"
        with self.artifact_store.open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        return {path: VisualizationType.MARKDOWN}

    def _stored(self, data: FolderArtifact) -> FolderArtifact:
        """The stored copy (the step's temporary folder is gone after ``save``)."""
        return type(data)(uri=self.uri, origin=data.origin)
