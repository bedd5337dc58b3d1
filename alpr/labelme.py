"""Read and validate a folder of labelme annotations (local path or fsspec URL).

Every file is checked; each problem is reported with the file and the reason, bad files are
skipped (never silently), and the caller decides how many bad files are too many.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import posixpath
from collections.abc import Iterable

import cv2
import numpy as np
from pydantic import BaseModel, Field
from tqdm import tqdm

from alpr.boxes import box_overlaps
from alpr.classes import CLASS_NAMES
from alpr.fsutil import join, open_fs

log = logging.getLogger(__name__)
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp")
KNOWN_LABELS = frozenset(CLASS_NAMES)
#: the labelme format version our files claim (the release whose files they match)
LABELME_VERSION = "5.4.1"


class AnnotationError(ValueError):
    """One annotation file is unusable; ``file`` and ``reason`` say which and why."""

    def __init__(self, file: str, reason: str):
        super().__init__(f"{file}: {reason}")
        self.file = file
        self.reason = reason


class IngestError(RuntimeError):
    """The folder as a whole is unusable (empty, or too many bad files)."""


class Shape(BaseModel):
    label: str
    points: list[tuple[float, float]]
    group_id: int | None = None
    description: str = ""

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        """x1, y1, x2, y2 of the polygon."""
        xs, ys = [p[0] for p in self.points], [p[1] for p in self.points]
        return min(xs), min(ys), max(xs), max(ys)


class AnnotatedImage(BaseModel):
    json_file: str  # relative to the source folder
    image_file: str  # relative to the source folder
    embedded_image: bool = False  # image came from the JSON's imageData
    width: int
    height: int
    image_sha256: str
    json_sha256: str
    shapes: list[Shape]


class Problem(BaseModel):
    file: str
    reason: str


class ValidationReport(BaseModel):
    source: str
    total: int = 0
    valid: int = 0
    problems: list[Problem] = Field(default_factory=list)

    @property
    def bad(self) -> int:
        return len({p.file for p in self.problems})

    @property
    def bad_fraction(self) -> float:
        return self.bad / self.total if self.total else 0.0

    def summary(self) -> str:
        return f"{self.valid}/{self.total} files valid, {self.bad} bad ({self.bad_fraction:.1%})"


class AnnotationSet(BaseModel):
    """The valid annotations of one source folder, with a hash of their content."""

    source: str
    content_hash: str
    images: list[AnnotatedImage]

    def label_counts(self) -> dict[str, int]:
        counts = {name: 0 for name in CLASS_NAMES}
        for image in self.images:
            for shape in image.shapes:
                counts[shape.label] += 1
        return counts


def read_labelme_folder(
    url: str, max_bad_fraction: float = 0.1, progress: bool = True
) -> tuple[AnnotationSet, ValidationReport]:
    """Validate every ``*.json`` under ``url``; fail if more than ``max_bad_fraction`` is bad."""
    fs, root = open_fs(url)
    if not fs.isdir(root):
        raise IngestError(f"{url}: not a folder (or not reachable)")
    root = root.rstrip("/")
    paths = sorted(fs.find(root))
    rel = [p[len(root) + 1 :] for p in paths]
    json_files = [r for r in rel if r.lower().endswith(".json")]
    image_files = {r for r in rel if r.lower().endswith(IMAGE_SUFFIXES)}
    report = ValidationReport(source=url)
    if not json_files:
        raise IngestError(f"{url}: no labelme .json files found")

    images: list[AnnotatedImage] = []
    seen: dict[str, str] = {}  # image sha256 -> json file that had it first
    referenced: set[str] = set()
    for name in tqdm(json_files, desc="ingest", unit="file", disable=not progress, mininterval=2):
        try:
            item = validate_labelme_file(fs, root, name)
            referenced.add(item.image_file)
            if item.image_sha256 in seen:
                raise AnnotationError(
                    name, f"duplicate image: same content as the image of {seen[item.image_sha256]}"
                )
            seen[item.image_sha256] = name
            images.append(item)
        except AnnotationError as exc:
            report.problems.append(Problem(file=exc.file, reason=exc.reason))
    orphans = sorted(image_files - referenced - _images_named_by_bad_files(report, json_files))
    for orphan in orphans:
        report.problems.append(Problem(file=orphan, reason="image has no labelme annotation file"))
    report.total = len(json_files) + len(orphans)
    report.valid = len(images)
    for p in report.problems:
        log.warning("skipping %s: %s", p.file, p.reason)
    log.info("ingest %s: %s", url, report.summary())
    if report.bad_fraction > max_bad_fraction:
        worst = "; ".join(f"{p.file}: {p.reason}" for p in report.problems[:5])
        raise IngestError(
            f"{url}: {report.bad} of {report.total} files are bad ({report.bad_fraction:.1%} > "
            f"allowed {max_bad_fraction:.1%}). First problems: {worst}"
        )
    return AnnotationSet(source=url, content_hash=_content_hash(images), images=images), report


def validate_labelme_file(fs, root: str, name: str) -> AnnotatedImage:
    """Parse and check one labelme JSON (relative ``name`` under ``root``)."""
    try:
        raw = fs.cat_file(join(root, name))
    except OSError as exc:
        raise AnnotationError(name, f"cannot read file: {exc}") from exc
    try:
        doc = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise AnnotationError(name, f"invalid JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise AnnotationError(name, "top level must be a JSON object")
    for key, kind in (("shapes", list), ("imagePath", str), ("imageHeight", int), ("imageWidth", int)):
        if key not in doc:
            raise AnnotationError(name, f"missing field '{key}'")
        if not isinstance(doc[key], kind) or isinstance(doc[key], bool):
            raise AnnotationError(name, f"field '{key}' must be {kind.__name__}")
    width, height = doc["imageWidth"], doc["imageHeight"]
    if width <= 0 or height <= 0:
        raise AnnotationError(name, f"imageWidth/imageHeight must be positive, got {width}x{height}")

    image_file = posixpath.normpath(posixpath.join(posixpath.dirname(name), doc["imagePath"]))
    image_bytes, embedded = _image_bytes(fs, root, name, image_file, doc.get("imageData"))
    decoded = cv2.imdecode(np.frombuffer(image_bytes, np.uint8), cv2.IMREAD_COLOR)
    if decoded is None:
        where = "imageData" if embedded else doc["imagePath"]
        raise AnnotationError(name, f"image unreadable (not a decodable image): {where}")
    real_h, real_w = decoded.shape[:2]
    if (real_w, real_h) != (width, height):
        raise AnnotationError(
            name,
            f"size mismatch: image is {real_w}x{real_h} but imageWidth x imageHeight "
            f"says {width}x{height}",
        )
    shapes = _grouped([_check_shape(name, i, s, width, height) for i, s in enumerate(doc["shapes"])])
    return AnnotatedImage(
        json_file=name,
        image_file=image_file,
        embedded_image=embedded,
        width=width,
        height=height,
        image_sha256=hashlib.sha256(image_bytes).hexdigest(),
        json_sha256=hashlib.sha256(raw).hexdigest(),
        shapes=shapes,
    )


def _grouped(shapes: list[Shape]) -> list[Shape]:
    """``shapes`` with every plate's parts sharing one ``group_id``. labelme leaves group ids
    empty unless the annotator sets them; when any board has none, or two boards share one,
    the image's groups are drawn from geometry instead: each board is a group, and each glyph
    joins the board that holds most of it."""
    boards = [s for s in shapes if s.label.endswith("_board")]
    ids = [b.group_id for b in boards]
    if None not in ids and len(set(ids)) == len(ids):
        return shapes
    board_boxes = [b.bbox for b in boards]
    out = []
    for shape in shapes:
        if shape.label.endswith("_board"):
            group = boards.index(shape) + 1
        else:
            inside = [box_overlaps(shape.bbox, box, mode="iof") for box in board_boxes]
            group = int(np.argmax(inside)) + 1 if inside and max(inside) >= 0.5 else None
        out.append(shape.model_copy(update={"group_id": group}))
    return out


def labelme_document(shapes: list[dict], image_path: str, width: int, height: int, render: dict | None = None) -> dict:
    """A labelme file's content: ``shapes`` (from ``polygon_shape``) on the image beside it;
    ``render``: how a renderer drew it (kept under that key, for failure analysis)."""
    doc = {"version": LABELME_VERSION, "flags": {}, "shapes": shapes, "imagePath": image_path, "imageData": None,
           "imageHeight": height, "imageWidth": width}
    return {**doc, "render": render} if render else doc


def polygon_shape(label: str, points, group_id: int | None, description: str = "") -> dict:
    """One labelme polygon; a board's ``description`` holds its reading ("regular:51A1234")."""
    return {"label": label, "points": [[round(float(x), 2), round(float(y), 2)] for x, y in points],
            "group_id": group_id, "description": description, "shape_type": "polygon", "flags": {}, "mask": None}


def load_image_bytes(source: str, item: AnnotatedImage) -> bytes:
    """The image of a validated annotation, from its file or its embedded imageData."""
    fs, root = open_fs(source)
    root = root.rstrip("/")
    if item.embedded_image:
        doc = json.loads(fs.cat_file(join(root, item.json_file)))
        return base64.b64decode(doc["imageData"])
    return fs.cat_file(join(root, item.image_file))


def _image_bytes(fs, root: str, name: str, image_file: str, image_data) -> tuple[bytes, bool]:
    if image_data:
        if not isinstance(image_data, str):
            raise AnnotationError(name, "field 'imageData' must be a base64 string or null")
        try:
            return base64.b64decode(image_data, validate=True), True
        except (binascii.Error, ValueError) as exc:
            raise AnnotationError(name, f"imageData is not valid base64: {exc}") from exc
    if image_file.startswith("../"):
        raise AnnotationError(name, f"imagePath points outside the folder: {image_file}")
    path = join(root, image_file)
    if not fs.exists(path):
        raise AnnotationError(name, f"image file not found: {image_file}")
    try:
        return fs.cat_file(path), False
    except OSError as exc:
        raise AnnotationError(name, f"image unreadable: {image_file}: {exc}") from exc


def _check_shape(name: str, index: int, shape, width: int, height: int) -> Shape:
    if not isinstance(shape, dict):
        raise AnnotationError(name, f"shape {index}: must be an object")
    label = shape.get("label")
    where = f"shape {index} (label {label!r})"
    if not isinstance(label, str):
        raise AnnotationError(name, f"shape {index}: missing or non-string 'label'")
    if label not in KNOWN_LABELS:
        raise AnnotationError(name, f"{where}: unknown label; expected one of {', '.join(CLASS_NAMES)}")
    shape_type = shape.get("shape_type") or "polygon"
    if shape_type != "polygon":
        raise AnnotationError(name, f"{where}: shape_type {shape_type!r} is not supported (polygon only)")
    points = shape.get("points")
    if not isinstance(points, list) or not all(_is_point(p) for p in points):
        raise AnnotationError(name, f"{where}: 'points' must be a list of [x, y] numbers")
    if len(points) < 3:
        raise AnnotationError(name, f"{where}: polygon has {len(points)} points, needs at least 3")
    for x, y in points:
        if not (0 <= x <= width and 0 <= y <= height):
            raise AnnotationError(
                name, f"{where}: point ({x:g}, {y:g}) lies outside the {width}x{height} image"
            )
    group_id = shape.get("group_id")
    if group_id is not None and not isinstance(group_id, int):
        raise AnnotationError(name, f"{where}: group_id must be an integer or null")
    description = shape.get("description") or ""
    return Shape(
        label=label,
        points=[(float(x), float(y)) for x, y in points],
        group_id=group_id,
        description=str(description),
    )


def _is_point(p) -> bool:
    return (
        isinstance(p, (list, tuple))
        and len(p) == 2
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v) for v in p)
    )


def _images_named_by_bad_files(report: ValidationReport, json_files: Iterable[str]) -> set[str]:
    """Images beside a bad JSON are covered by that JSON's problem; don't report them twice."""
    bad = {p.file for p in report.problems}
    stems = {posixpath.splitext(f)[0] for f in json_files if f in bad}
    return {stem + suffix for stem in stems for suffix in IMAGE_SUFFIXES} | {
        stem + suffix.upper() for stem in stems for suffix in IMAGE_SUFFIXES
    }


def _content_hash(images: list[AnnotatedImage]) -> str:
    h = hashlib.sha256()
    for item in sorted(images, key=lambda i: i.json_file):
        h.update(f"{item.json_file}\0{item.json_sha256}\0{item.image_sha256}\n".encode())
    return h.hexdigest()
