"""Write a folder of labelme-annotated synthetic images (local path or any fsspec URL)."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any

import cv2
import numpy as np
from tqdm import tqdm

from alpr.fsutil import join, open_fs
from alpr.labelme import labelme_document, polygon_shape
from alpr.synth.options import SynthOptions
from alpr.synth.scene import Scene, render_scene

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GenerationSummary:
    out_dir: str
    images: int
    plates: int
    shapes: int


def image_rng(seed: int, index: int) -> np.random.Generator:
    """One independent stream per image: image i is the same whatever ``n`` is."""
    return np.random.default_rng([seed, index])


#: draws image ``i`` of ``seed`` with ``options``: (stem, JPEG bytes, labelme bytes, plates, shapes)
DrawTask = Callable[[tuple[int, int, Any]], tuple[str, bytes, bytes, int, int]]


def generate_dataset(
    out_dir: str, n: int, seed: int, options: SynthOptions | None = None, progress: bool = True,
    workers: int | None = None, overwrite: bool = False, draw: DrawTask | None = None,
) -> GenerationSummary:
    """Draw ``n`` images into ``out_dir`` as ``img_XXXXXX.jpg`` + ``img_XXXXXX.json``, in
    ``workers`` processes (default: one per core; a 4K photo takes ~0.5 s to draw).

    ``draw``: another renderer's module-level function (the foreign test renderer's) with its
    own ``options``; default: this generator. A folder that already holds files is refused
    (FileExistsError) unless ``overwrite``: generated names are the same in every run, so they
    would silently replace a user's files."""
    draw = draw or _draw
    options = options or (SynthOptions() if draw is _draw else None)
    fs, root = open_fs(out_dir)
    if not overwrite and fs.isdir(root) and fs.ls(root):
        raise FileExistsError(f"{out_dir} is not empty; choose an empty folder (or overwrite=True / --overwrite)")
    fs.makedirs(root, exist_ok=True)
    workers = min(workers or os.cpu_count() or 1, max(n // 32, 1))  # small sets: not worth a process start
    plates = shapes = 0
    tasks = [(seed, i, options) for i in range(n)]
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) if workers > 1 else nullcontext() as pool:
        drawn = pool.map(draw, tasks, chunksize=4) if pool else map(draw, tasks)
        for stem, jpeg, doc, n_plates, n_shapes in tqdm(drawn, total=n, desc="generate", unit="img",
                                                         disable=not progress, mininterval=2):
            fs.pipe_file(join(root, f"{stem}.jpg"), jpeg)
            fs.pipe_file(join(root, f"{stem}.json"), doc)
            plates += n_plates
            shapes += n_shapes
    summary = GenerationSummary(out_dir=out_dir, images=n, plates=plates, shapes=shapes)
    log.info("generated %d images, %d plates, %d shapes in %s", n, plates, shapes, out_dir)
    return summary


def _draw(task: tuple[int, int, SynthOptions]) -> tuple[str, bytes, bytes, int, int]:
    """Image ``i`` of ``seed``: its name, JPEG and labelme JSON bytes, plate and shape counts."""
    seed, i, options = task
    rng = image_rng(seed, i)
    scene = render_scene(rng, options)
    stem = f"img_{i:06d}"
    quality = int(rng.integers(options.jpeg_quality[0], options.jpeg_quality[1] + 1))
    ok, jpeg = cv2.imencode(".jpg", scene.image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError(f"JPEG encoding failed for {stem}")
    doc = json.dumps(scene_document(scene, f"{stem}.jpg"), indent=1).encode()
    return stem, jpeg.tobytes(), doc, len(scene.plates), len(scene.shapes)


def scene_document(scene: Scene, image_path: str) -> dict:
    """The labelme JSON of a scene; a board's ``description`` holds its true reading, and the
    ``render`` key how each plate was drawn (labelme keeps unknown keys as they are)."""
    height, width = scene.image.shape[:2]
    readings = {i: f"{p.shape}:{p.text.text}" for i, p in enumerate(scene.plates)}
    shapes = [polygon_shape(s.label, s.points, s.group_id, readings[s.group_id] if s.label.endswith("_board") else "")
              for s in scene.shapes]
    render = {"renderer": "alpr.synth", "background": scene.background,
              "plates": [{"group_id": i, **p.style} for i, p in enumerate(scene.plates)]}
    return labelme_document(shapes, image_path, width, height, render=render)
