"""Batch predictions: read every photo under a folder or bucket prefix with one loaded
detector, and optionally pre-label each photo for labelme.

The source is only read, except that pre-labelling writes ``<photo stem>.json`` beside each
photo, and never over an existing file unless asked. A file that is not a photo, or not a
readable one, is listed with the reason and skipped; it never stops the batch.
"""

from __future__ import annotations

import csv
import io
import json
import posixpath
from typing import TYPE_CHECKING

from fsspec import AbstractFileSystem
from pydantic import BaseModel, Field, field_validator
from tqdm import tqdm

from alpr.fsutil import join, open_fs
from alpr.prelabel import prelabel_document
from alpr.serving import BadRequest, decode_image

if TYPE_CHECKING:  # the model's libraries load only where a detector is built
    from alpr.model.detector import Detector

#: the columns of ``readings.csv``, one row per plate read
CSV_COLUMNS = ("file", "text", "shape", "region", "vehicle_type", "serial", "score", "x1", "y1", "x2", "y2")
ANNOTATION_SUFFIX = ".json"


class BatchParams(BaseModel):
    """What a batch run reads, with which model, and whether it pre-labels."""

    #: a folder or single photo: local path or fsspec URL (gs://bucket/prefix)
    source: str
    #: the registered model version to use: a stage (production, staging, latest) or a number
    model_version: str = "production"
    #: a checkpoint file (path or gs:// URL) to use instead of a registered version
    model_uri: str | None = None
    #: write a labelme file beside each photo (its plates as the model reads them)
    prelabel: bool = False
    #: with ``prelabel``: replace labelme files that already exist (else they are kept)
    overwrite_labels: bool = False

    @field_validator("source")
    @classmethod
    def _source_given(cls, source: str) -> str:
        if not source.strip():
            raise ValueError("batch.source is empty: name the folder or gs:// prefix of the photos to read")
        return source


class PlateRecord(BaseModel):
    text: str
    shape: str
    region: str
    vehicle_type: str
    serial: str
    score: float
    bbox: tuple[float, float, float, float]


class PhotoRecord(BaseModel):
    #: relative to the source folder
    file: str
    width: int
    height: int
    plates: list[PlateRecord] = Field(default_factory=list)
    #: pre-labelling: "written", "kept" (a labelme file was there already), "name taken" (another
    #: photo of the same stem, e.g. a.jpg and a.png, wrote it in this batch) or "" (not asked)
    labelme: str = ""


class SkippedFile(BaseModel):
    file: str
    reason: str


class BatchReadings(BaseModel):
    """Every photo's plates, every file skipped and why, and the model that read them."""

    source: str
    model: dict[str, str]
    photos: list[PhotoRecord] = Field(default_factory=list)
    skipped: list[SkippedFile] = Field(default_factory=list)

    def summary(self) -> dict[str, int]:
        return {
            "photos": len(self.photos),
            "plates": sum(len(p.plates) for p in self.photos),
            "photos_without_plate": sum(not p.plates for p in self.photos),
            "skipped_files": len(self.skipped),
            "labelme_written": sum(p.labelme == "written" for p in self.photos),
            "labelme_kept": sum(p.labelme == "kept" for p in self.photos),
            "labelme_name_taken": sum(p.labelme == "name taken" for p in self.photos),
        }

    def csv_text(self) -> str:
        """One row per plate read (``CSV_COLUMNS``); photos without plates are in the JSON and summary."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for photo in self.photos:
            for p in photo.plates:
                writer.writerow([photo.file, p.text, p.shape, p.region, p.vehicle_type, p.serial, p.score, *p.bbox])
        return out.getvalue()

    def summary_markdown(self) -> str:
        version = f" v{self.model['version']}" if self.model.get("version") else ""
        lines = [f"# Batch predictions on `{self.source}`", "",
                 f"model: {self.model.get('name', '')}{version} (`{self.model.get('uri', '')}`)",
                 "", "| | |", "|---|---|"]
        lines += [f"| {key.replace('_', ' ')} | {value} |" for key, value in self.summary().items()]
        if self.skipped:
            lines += ["", "| skipped file | why |", "|---|---|"]
            lines += [f"| `{s.file}` | {s.reason.replace('|', '/')} |" for s in self.skipped]
        return "\n".join(lines) + "\n"


def source_files(source: str) -> tuple[AbstractFileSystem, str, list[str]]:
    """The filesystem, folder and file names (relative, labelme files aside) of a batch source:
    a folder (searched recursively) or one photo; FileNotFoundError if there is neither."""
    fs, root = open_fs(source)
    root = root.rstrip("/")
    if fs.isfile(root):
        root, names = posixpath.dirname(root), [posixpath.basename(root)]
    elif fs.isdir(root):
        names = sorted(p[len(root) + 1:] for p in fs.find(root))
    else:
        raise FileNotFoundError(f"batch source {source}: no such folder or file (or not reachable)")
    return fs, root, [n for n in names if not n.lower().endswith(ANNOTATION_SUFFIX)]


def read_photos(detector: Detector, source: str, model: dict[str, str], prelabel: bool = False,
                overwrite_labels: bool = False, progress: bool = True) -> BatchReadings:
    """Read every file under ``source`` (labelme ``.json`` files aside) as a photo."""
    from alpr.model.detector import as_detections
    from alpr.postprocess import read_plates

    fs, root, names = source_files(source)
    result = BatchReadings(source=source, model=model)
    written: set[str] = set()
    for name in tqdm(names, desc="batch", unit="photo", disable=not progress, mininterval=2):
        try:
            image = decode_image(fs.cat_file(join(root, name)), what="the file")
        except BadRequest as exc:
            result.skipped.append(SkippedFile(file=name, reason=exc.message))
            continue
        except OSError as exc:
            result.skipped.append(SkippedFile(file=name, reason=f"cannot read file: {exc}"))
            continue
        height, width = image.shape[:2]
        detections = as_detections(detector.detect(image))
        readings = read_plates(detections)
        photo = PhotoRecord(file=name, width=width, height=height, plates=[
            PlateRecord(text=r.text, shape=r.shape, region=r.region, vehicle_type=r.vehicle_type, serial=r.serial,
                        score=round(r.score, 4), bbox=tuple(round(v, 1) for v in r.bbox)) for r in readings])
        if prelabel:
            label_file = join(root, posixpath.splitext(name)[0] + ANNOTATION_SUFFIX)
            if label_file in written:
                photo.labelme = "name taken"
            elif fs.exists(label_file) and not overwrite_labels:
                photo.labelme = "kept"
            else:
                doc = prelabel_document(readings, detections, posixpath.basename(name), width, height)
                fs.pipe_file(label_file, json.dumps(doc, indent=1).encode())
                photo.labelme = "written"
                written.add(label_file)
        result.photos.append(photo)
    return result
