"""The artifact types passed between pipeline steps, each a folder: a labelme folder, a COCO
dataset, a trained model.

Each is just a URL of a folder (local path or gs://...) plus what it came from; readers use
fsspec on the URL, and ``local_dir()`` gives a local copy for tools that need real paths.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

from alpr.coco import SPLITS, CocoSummary
from alpr.fsutil import copy_tree, is_local, join, open_fs


@dataclass
class FolderArtifact:
    uri: str
    #: where the content came from (a URL, or "synthetic:...")
    origin: str = ""
    #: a temporary folder that may be deleted once it has been stored elsewhere
    ephemeral: bool = False

    def local_dir(self, cache_dir: str | None = None) -> Path:
        """A local folder with this content: the folder itself if local, else a copy."""
        if is_local(self.uri):
            return Path(open_fs(self.uri)[1])
        target = Path(tempfile.mkdtemp(prefix="alpr-", dir=cache_dir))
        copy_tree(self.uri, str(target))
        return target

    def metadata(self) -> dict:
        return {"origin": self.origin}


@dataclass
class LabelmeFolder(FolderArtifact):
    """A folder of labelme JSON files with their images beside them."""

    def metadata(self) -> dict:
        fs, root = open_fs(self.uri)
        files = fs.find(root)
        return {
            "origin": self.origin,
            "json_files": sum(f.endswith(".json") for f in files),
            "files": len(files),
        }


@dataclass
class CocoDataset(FolderArtifact):
    """A merged dataset: ``images/``, ``annotations/{train,val,test}.json``, ``summary.json``."""

    def annotation_uri(self, split: str) -> str:
        if split not in SPLITS:
            raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")
        return join(self.uri, "annotations", f"{split}.json")

    def summary(self) -> CocoSummary:
        fs, root = open_fs(self.uri)
        return CocoSummary.model_validate_json(fs.cat_file(join(root, "summary.json")))

    def metadata(self) -> dict:
        s = self.summary()
        return {
            "origin": self.origin,
            "content_hash": s.content_hash,
            "images": s.images,
            "annotations": s.annotations,
            "plates": s.plates,
            "class_counts": s.class_counts,
            "split": s.split.model_dump(),
        }


@dataclass
class TrainedModel(FolderArtifact):
    """A training run's outputs: ``model.pth`` (self-describing), ``tensorboard/``, ``metrics.json``."""

    CHECKPOINT = "model.pth"

    @property
    def checkpoint_uri(self) -> str:
        return join(self.uri, self.CHECKPOINT)

    def metrics(self) -> dict:
        fs, root = open_fs(self.uri)
        path = join(root, "metrics.json")
        return json.loads(fs.cat_file(path)) if fs.exists(path) else {}

    def metadata(self) -> dict:
        return {"origin": self.origin, **self.metrics()}
