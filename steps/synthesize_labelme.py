"""Step: draw a synthetic labelme folder (the default data source)."""

from __future__ import annotations

import tempfile
from typing import Annotated

from zenml import step

from alpr.folders import LabelmeFolder
from alpr.synth import SynthOptions, generate_dataset
from steps.materializers import FolderMaterializer


@step(output_materializers=FolderMaterializer)
def synthesize_labelme(
    n_images: int = 300, seed: int = 1, options: SynthOptions | None = None
) -> Annotated[LabelmeFolder, "labelme_folder"]:
    """Generate ``n_images`` annotated images; same seed and options give the same bytes."""
    out = tempfile.mkdtemp(prefix="alpr-labelme-")
    summary = generate_dataset(out, n=n_images, seed=seed, options=options)
    print(f"synthesized {summary.images} images with {summary.plates} plates")
    return LabelmeFolder(uri=out, origin=f"synthetic:n={n_images},seed={seed}", ephemeral=True)
