"""Real photographs as backgrounds: the sample images scikit-image ships in its package.

Nothing is downloaded: the files are part of the installed wheel (``skimage/data``). They are
split like the fonts: some for training, the others reserved for the foreign test renderer
(``alpr.foreign``), so the foreign split never shows a background the model trained on. The
two motorcycle photos are one stereo pair, so both are on the reserved side.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

TRAINING_PHOTOS: tuple[str, ...] = (
    "astronaut.png", "brick.png", "camera.png", "chelsea.png", "coffee.png", "coins.png", "color.png",
    "grass.png", "gravel.png", "hubble_deep_field.jpg", "ihc.png", "moon.png", "page.png", "text.png",
)
RESERVED_FOR_TESTING: tuple[str, ...] = ("motorcycle_left.png", "motorcycle_right.png", "rocket.jpg", "retina.jpg")


def photo_folder() -> Path:
    """scikit-image's data folder in this environment (ModuleNotFoundError if it is not installed)."""
    spec = importlib.util.find_spec("skimage")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("scikit-image is not installed: photo backgrounds need its sample images "
                                  "(requirements.txt has it; run scripts/setup.sh)")
    return Path(spec.submodule_search_locations[0]) / "data"


@lru_cache(maxsize=32)
def load_photo(name: str) -> np.ndarray:
    """One sample photo as BGR uint8 (grey ones turned to 3 channels); read once per process."""
    path = photo_folder() / name
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise FileNotFoundError(f"{path}: sample photo missing or unreadable")
    image.setflags(write=False)
    return image


def photo_background(rng: np.random.Generator, width: int, height: int, names: tuple[str, ...]) -> tuple[np.ndarray, str]:
    """A random crop of one of ``names`` with the photo's aspect ratio, resized to it (maybe
    mirrored, re-exposed); gives the image and the photo's name."""
    name = names[int(rng.integers(0, len(names)))]
    photo = load_photo(name)
    ph, pw = photo.shape[:2]
    aspect = width / height
    crop_w = min(pw, ph * aspect) * rng.uniform(0.5, 1.0)
    crop_h = crop_w / aspect
    x = rng.uniform(0, pw - crop_w)
    y = rng.uniform(0, ph - crop_h)
    crop = photo[int(y):int(y + crop_h), int(x):int(x + crop_w)]
    image = cv2.resize(crop, (width, height), interpolation=cv2.INTER_LINEAR)
    if rng.random() < 0.5:
        image = image[:, ::-1]
    gain = rng.uniform(0.7, 1.2)
    return np.clip(image.astype(np.float32) * gain, 0, 255).astype(np.uint8), name
