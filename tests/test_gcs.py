"""gs:// end to end through gcsfs against a local GCS emulator: generate, ingest, merge."""

from __future__ import annotations

import warnings

from pycocotools.coco import COCO

from alpr.coco import SplitSpec, merge_to_coco
from alpr.artifacts import CocoDataset
from alpr.labelme import read_labelme_folder
from alpr.synth import generate_dataset


def test_generate_ingest_merge_on_gcs(gcs_emulator: str) -> None:
    warnings.simplefilter("ignore", FutureWarning)
    generate_dataset("gs://alpr/raw", n=5, seed=1, progress=False)
    annotations, report = read_labelme_folder("gs://alpr/raw", progress=False)
    assert report.valid == 5 and not report.problems
    summary = merge_to_coco(annotations, "gs://alpr/coco", SplitSpec(train=0.6, val=0.2, test=0.2), progress=False)
    assert sum(summary.images.values()) == 5
    dataset = CocoDataset(uri="gs://alpr/coco")
    assert dataset.summary().content_hash == summary.content_hash
    local = dataset.local_dir()  # tools that need real paths get a local copy
    coco = COCO(str(local / "annotations" / "train.json"))
    assert all((local / i["file_name"]).is_file() for i in coco.loadImgs(coco.getImgIds()))


def test_checkpoint_saves_and_loads_from_gcs(gcs_emulator: str, trained) -> None:
    """The serving side loads the one-file checkpoint from a gs:// URI as well as from a path."""
    warnings.simplefilter("ignore", FutureWarning)
    from alpr.model.checkpoint import load_checkpoint, save_checkpoint
    from alpr.model.detector import Detector

    local = load_checkpoint(str(trained.checkpoint))
    save_checkpoint(local, "gs://alpr/models/v1/model.pth")
    remote = load_checkpoint("gs://alpr/models/v1/model.pth")
    assert remote.config_text == local.config_text and remote.params == local.params
    assert Detector("gs://alpr/models/v1/model.pth").classes == local.classes
