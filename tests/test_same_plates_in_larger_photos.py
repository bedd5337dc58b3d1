"""The same plate pixels read the same in any photo size: a 640x480 photo, and that photo placed
in a 1920x1080 frame and a 4K one (padded with its mean colour), as a camera with a wider view
would show the same plates; and each detection comes out once. Read by ``Detector`` (what
serving, evaluation and batches run) with the committed reference checkpoint
(``tests/fixtures/README.md``); photos from a seed no training used."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from alpr.boxes import box_overlaps
from alpr.model.detector import Detector, read_detected_plates
from alpr.synth import SynthOptions, generate_dataset

CHECKPOINT = Path(__file__).parent / "fixtures" / "alpr-detector.pth"
#: two plates per photo, 110-200 px wide, gently turned, in the reference model's look
PHOTOS = SynthOptions.classic(image_sizes=[(640, 480)], plates_per_image=(2, 2), regular_width=(110, 200),
                              max_rotation_deg=6.0, closeup_fraction=0.0, portrait_fraction=0.0)
#: frame size -> where the 640x480 photo's top-left corner lies in it
FRAMES = {(1920, 1080): (1011, 377), (3840, 2160): (2604, 1433)}


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector(str(CHECKPOINT))


def _readings(detector: Detector, image: np.ndarray, at: tuple[int, int] = (0, 0)) -> list[tuple[str, tuple]]:
    """Every valid plate read, boxed in the 640x480 photo's own pixels (``at``: where it lies)."""
    x, y = at
    objects = detector.detect(image)
    detections = [(o.label, o.score, o.bbox) for o in objects]
    assert len(set(detections)) == len(detections), "a detection came out twice"
    plates = [p for p in read_detected_plates(objects) if p.valid]
    return sorted((f"{p.shape}:{p.text}", (p.bbox[0] - x, p.bbox[1] - y, p.bbox[2] - x, p.bbox[3] - y))
                  for p in plates)


def _framed(photo: np.ndarray, size: tuple[int, int], at: tuple[int, int]) -> np.ndarray:
    width, height = size
    frame = np.empty((height, width, 3), np.uint8)
    frame[:] = photo.reshape(-1, 3).mean(axis=0).round().astype(np.uint8)
    x, y = at
    frame[y:y + photo.shape[0], x:x + photo.shape[1]] = photo
    return frame


def test_plates_read_in_a_640x480_photo_read_the_same_in_1080p_and_4k_frames(detector: Detector,
                                                                          tmp_path: Path) -> None:
    generate_dataset(str(tmp_path), n=2, seed=60606, options=PHOTOS, progress=False)
    for doc_path in sorted(tmp_path.glob("*.json")):
        doc = json.loads(doc_path.read_text())
        truth = sorted((s["description"], _bbox(s["points"])) for s in doc["shapes"] if s["label"].endswith("_board"))
        photo = cv2.imread(str(tmp_path / doc["imagePath"]))
        for size, at in [((640, 480), (0, 0)), *FRAMES.items()]:
            framed = photo if at == (0, 0) else _framed(photo, size, at)
            read = _readings(detector, framed, at)
            assert [text for text, _ in read] == [text for text, _ in truth], (doc_path.name, size)
            # each boxed on its board, as the exact-plate rate counts a reading (IoU >= 0.5)
            for (_, box), (_, board) in zip(read, truth):
                assert box_overlaps(box, board) >= 0.5, (doc_path.name, size, box, board)


def _bbox(points: list[list[float]]) -> tuple[float, float, float, float]:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)
