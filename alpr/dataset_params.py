"""Typed parameters of the dataset stage: where the labelme data comes from, how it is checked,
split and recorded. One model shared by every pipeline that builds a dataset."""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator

from alpr.catalog import has_password
from alpr.coco import SplitSpec
from alpr.foreign import ForeignOptions
from alpr.synth import SynthOptions


class DatasetParams(BaseModel):
    """A labelme folder (``source_uri``) or generated images -> validated -> COCO splits -> catalog."""

    #: labelme folder URL (local path, gs://...); empty: generate ``synth_images`` images
    source_uri: str = ""
    synth_images: int = Field(300, ge=1)
    synth_seed: int = 1
    synth_options: SynthOptions | None = None
    #: the run fails if more than this fraction of the labelme files is bad
    max_bad_fraction: float = Field(0.1, ge=0.0, le=1.0)
    split: SplitSpec = SplitSpec()
    #: the name the annotation set and the merged dataset get in the catalog
    name: str = "synth-plates"
    #: the catalog database; None: $ALPR_CATALOG_URL, else SQLite in .zenml/catalog.db
    catalog_url: str | None = None

    @field_validator("catalog_url")
    @classmethod
    def _no_password(cls, url: str | None) -> str | None:
        """A configured URL is stored in clear with the run's configuration: no password in it."""
        if url and has_password(url):
            raise ValueError("catalog_url carries a password, which would be stored in clear with the run: "
                             "remove it and set ALPR_CATALOG_PASSWORD instead")
        return url


class ForeignTestParams(BaseModel):
    """The foreign test set of the training pipeline: photos from the independent renderer
    (``alpr.foreign``), never trained on, scored beside the in-distribution test split."""

    enabled: bool = True
    images: int = Field(200, ge=1)
    seed: int = 1
    options: ForeignOptions | None = None
