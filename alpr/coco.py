"""Merge validated labelme annotations into COCO train/val/test datasets.

Layout of a merged dataset folder (any fsspec URL)::

    images/<name>.jpg
    annotations/train.json  annotations/val.json  annotations/test.json
    summary.json            counts per class and split, proportions, seed

The split is by image and seeded: images are ordered by a seeded hash of their content and
cut at the configured proportions, so the same data and seed give the same split every run.
"""

from __future__ import annotations

import hashlib
import json
import logging
import posixpath
from collections import Counter
from collections.abc import Collection
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field, model_validator
from tqdm import tqdm

from alpr.classes import CLASS_NAMES, category_id, coco_categories
from alpr.fsutil import join, open_fs
from alpr.labelme import AnnotatedImage, AnnotationSet, load_image_bytes

log = logging.getLogger(__name__)
SPLITS: tuple[str, ...] = ("train", "val", "test")


class SplitSpec(BaseModel):
    """Fractions of images per split (must sum to 1) and the seed of the split order."""

    train: float = Field(0.7, ge=0.0, le=1.0)
    val: float = Field(0.15, ge=0.0, le=1.0)
    test: float = Field(0.15, ge=0.0, le=1.0)
    seed: int = 0

    @model_validator(mode="after")
    def _sums_to_one(self) -> "SplitSpec":
        total = self.train + self.val + self.test
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"split fractions must sum to 1, got {total:g}")
        return self

    def fractions(self) -> dict[str, float]:
        return {"train": self.train, "val": self.val, "test": self.test}


class CocoSummary(BaseModel):
    """What a merge produced: image/annotation/class counts per split."""

    images: dict[str, int]
    annotations: dict[str, int]
    plates: dict[str, int]
    class_counts: dict[str, dict[str, int]]
    split: SplitSpec
    source_hash: str
    #: sha256 over every written file (relative path + content hash), in a fixed order
    content_hash: str = ""


def assign_splits(images: list[AnnotatedImage], spec: SplitSpec) -> dict[str, list[AnnotatedImage]]:
    """Each image's split follows from its own content alone: a seeded hash of its pixels'
    file, read as a number in [0, 1), against the split fractions. Adding or removing images
    never moves another image between splits (so a model is never scored on images it trained
    on in an earlier version); split sizes follow the fractions up to sampling noise."""
    fractions = spec.fractions()
    out: dict[str, list[AnnotatedImage]] = {s: [] for s in SPLITS}
    for item in sorted(images, key=lambda i: i.json_file):
        u = int(hashlib.sha256(f"{spec.seed}:{item.image_sha256}".encode()).hexdigest()[:16], 16) / 16**16
        edge = 0.0
        for split in SPLITS:
            edge += fractions[split]
            if u < edge or split == SPLITS[-1]:
                out[split].append(item)
                break
    return out


def polygon_area(points: list[tuple[float, float]]) -> float:
    """Shoelace area of a simple polygon."""
    xs = np.array([p[0] for p in points])
    ys = np.array([p[1] for p in points])
    return float(abs(np.dot(xs, np.roll(ys, -1)) - np.dot(ys, np.roll(xs, -1))) / 2.0)


def coco_document(images: list[AnnotatedImage], image_names: dict[str, str]) -> dict:
    """One COCO dataset dict; ``image_names`` maps json_file -> file name under images/."""
    doc: dict = {
        "info": {"description": "ALPR synthetic plates", "version": "1.0"},
        "licenses": [],
        "categories": coco_categories(),
        "images": [],
        "annotations": [],
    }
    ann_id = 1
    for image_id, item in enumerate(images, start=1):
        doc["images"].append(
            {
                "id": image_id,
                "file_name": image_names[item.json_file],
                "width": item.width,
                "height": item.height,
                "plates": _plate_truths(item),
            }
        )
        for shape in item.shapes:
            x1, y1, x2, y2 = shape.bbox
            doc["annotations"].append(
                {
                    "id": ann_id,
                    "image_id": image_id,
                    "category_id": category_id(shape.label),
                    "segmentation": [[round(v, 2) for p in shape.points for v in p]],
                    "area": round(polygon_area(shape.points), 2),
                    "bbox": [round(x1, 2), round(y1, 2), round(x2 - x1, 2), round(y2 - y1, 2)],
                    "iscrowd": 0,
                    "group_id": shape.group_id,
                }
            )
            ann_id += 1
    return doc


def split_annotations(dataset_dir: Path, split: str, classes: Collection[str]) -> tuple[dict, dict[int, list[dict]]]:
    """A merged COCO folder's ``split`` document and its annotations of ``classes``, by image id."""
    doc = json.loads((Path(dataset_dir) / "annotations" / f"{split}.json").read_text())
    names = {c["id"]: c["name"] for c in doc["categories"]}
    by_image: dict[int, list[dict]] = {}
    for a in doc["annotations"]:
        if names[a["category_id"]] in classes:
            by_image.setdefault(a["image_id"], []).append(a)
    return doc, by_image


def merge_to_coco(annotations: AnnotationSet, out_url: str, spec: SplitSpec, progress: bool = True) -> CocoSummary:
    """Write images and COCO train/val/test JSON files under ``out_url``."""
    fs, root = open_fs(out_url)
    root = root.rstrip("/")
    fs.makedirs(join(root, "images"), exist_ok=True)
    fs.makedirs(join(root, "annotations"), exist_ok=True)
    names = _unique_image_names(annotations.images)
    written: dict[str, str] = {}  # relative path -> sha256
    for item in tqdm(annotations.images, desc="coco_merge", unit="img", disable=not progress, mininterval=2):
        data = load_image_bytes(annotations.source, item)
        rel = f"images/{names[item.json_file]}"
        fs.pipe_file(join(root, rel), data)
        written[rel] = hashlib.sha256(data).hexdigest()
    names = {k: f"images/{v}" for k, v in names.items()}
    splits = assign_splits(annotations.images, spec)
    summary = CocoSummary(
        images={}, annotations={}, plates={}, class_counts={}, split=spec, source_hash=annotations.content_hash
    )
    for split, items in splits.items():
        doc = coco_document(items, names)
        payload = json.dumps(doc).encode()
        fs.pipe_file(join(root, "annotations", f"{split}.json"), payload)
        written[f"annotations/{split}.json"] = hashlib.sha256(payload).hexdigest()
        counts = Counter(CLASS_NAMES[a["category_id"] - 1] for a in doc["annotations"])
        summary.images[split] = len(doc["images"])
        summary.annotations[split] = len(doc["annotations"])
        summary.plates[split] = sum(len(i["plates"]) for i in doc["images"])
        summary.class_counts[split] = {name: counts.get(name, 0) for name in CLASS_NAMES}
    digest = hashlib.sha256()
    for rel in sorted(written):
        digest.update(f"{rel}\0{written[rel]}\n".encode())
    summary.content_hash = digest.hexdigest()
    fs.pipe_file(join(root, "summary.json"), summary.model_dump_json(indent=1).encode())
    log.info("coco_merge: images per split %s, annotations %s -> %s", summary.images, summary.annotations, out_url)
    return summary


def _plate_truths(item: AnnotatedImage) -> list[dict]:
    """True readings kept on boards' descriptions ("regular:01A2345"), when present."""
    plates = []
    for shape in item.shapes:
        if shape.label.endswith("_board"):
            shape_kind, _, text = shape.description.partition(":")
            plates.append(
                {
                    "group_id": shape.group_id,
                    "shape": "regular" if shape.label == "r_board" else "long",
                    "text": text if shape_kind in ("regular", "long") and text else None,
                }
            )
    return plates


def _unique_image_names(images: list[AnnotatedImage]) -> dict[str, str]:
    """Flatten nested source paths into unique file names under images/."""
    names: dict[str, str] = {}
    used: set[str] = set()
    for item in images:
        name = posixpath.basename(item.image_file)
        if name in used:
            name = item.image_file.replace("/", "__")
        stem, ext = posixpath.splitext(name)
        copy = 2
        while name in used:  # e.g. two annotations with embedded images and the same imagePath
            name = f"{stem}-{copy}{ext}"
            copy += 1
        used.add(name)
        names[item.json_file] = name
    return names
