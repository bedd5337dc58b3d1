"""Step: render the foreign test set (plates drawn unlike the training generator's)."""

from __future__ import annotations

import tempfile
from typing import Annotated

from zenml import step
from zenml.logger import get_logger

from alpr.artifacts import LabelmeFolder
from alpr.foreign import ForeignOptions, generate_foreign
from steps.materializers import FolderMaterializer

logger = get_logger(__name__)


@step(output_materializers=FolderMaterializer)
def foreign_labelme(
    n_images: int = 200, seed: int = 1, options: ForeignOptions | None = None
) -> Annotated[LabelmeFolder, "foreign_labelme_folder"]:
    """Gives a labelme folder of ``n_images`` photos from the foreign renderer (other fonts,
    paints, proportions, backgrounds); the same seed and options give the same bytes."""
    out = tempfile.mkdtemp(prefix="alpr-foreign-")
    summary = generate_foreign(out, n=n_images, seed=seed, options=options)
    logger.info("rendered %d foreign photos with %d plates", summary.images, summary.plates)
    return LabelmeFolder(uri=out, origin=f"foreign:n={n_images},seed={seed}", ephemeral=True)
