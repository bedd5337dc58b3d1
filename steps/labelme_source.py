"""Step: snapshot an existing labelme folder (local path or gs:// URL) as a versioned artifact."""

from __future__ import annotations

from typing import Annotated

from zenml import step

from alpr.artifacts import LabelmeFolder
from alpr.fsutil import open_fs
from steps.materializers import FolderMaterializer


@step(output_materializers=FolderMaterializer)
def labelme_source(uri: str, fingerprint: str = "") -> Annotated[LabelmeFolder, "labelme_folder"]:
    """Takes a folder URL; gives a copy of that folder in the artifact store.

    ``fingerprint`` (``alpr.fsutil.tree_fingerprint`` of the folder, taken when the pipeline is
    composed) is part of the cache key: a cached copy is reused only while the folder is unchanged."""
    fs, path = open_fs(uri)
    if not fs.isdir(path):
        raise FileNotFoundError(f"labelme source {uri!r} is not a folder (or is not reachable)")
    return LabelmeFolder(uri=uri, origin=uri)
