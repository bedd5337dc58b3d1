"""Step: draw a synthetic labelme folder (the default data source)."""

from __future__ import annotations

import tempfile
from typing import Annotated

from zenml import step
from zenml.logger import get_logger

from alpr.artifacts import LabelmeFolder
from alpr.synth import SynthOptions, generate_dataset
from steps.materializers import FolderMaterializer

logger = get_logger(__name__)


@step(output_materializers=FolderMaterializer)
def synthesize_labelme(
    n_images: int = 300, seed: int = 1, options: SynthOptions | None = None
) -> Annotated[LabelmeFolder, "labelme_folder"]:
    """Gives a labelme folder of ``n_images`` generated images with their annotations; the same
    seed and options give the same bytes."""
    out = tempfile.mkdtemp(prefix="alpr-labelme-")
    summary = generate_dataset(out, n=n_images, seed=seed, options=options)
    logger.info("synthesized %d images with %d plates", summary.images, summary.plates)
    return LabelmeFolder(uri=out, origin=f"synthetic:n={n_images},seed={seed}", ephemeral=True)
