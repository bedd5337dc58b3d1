"""Typed options of the synthetic plate generator (loadable from YAML)."""

from __future__ import annotations

from pydantic import BaseModel, Field, model_validator


class SynthOptions(BaseModel):
    """What the generator draws; every range is inclusive and sampled per image or plate."""

    image_width: int = Field(640, ge=64)
    image_height: int = Field(480, ge=64)
    plates_per_image: tuple[int, int] = (1, 3)
    long_fraction: float = Field(0.5, ge=0.0, le=1.0)
    #: width of a regular plate in pixels of the output image (long plates are ~1.9x wider)
    regular_width: tuple[int, int] = (110, 210)
    max_rotation_deg: float = Field(12.0, ge=0.0, le=45.0)
    #: corner jitter as a fraction of the plate size (perspective distortion)
    max_perspective: float = Field(0.06, ge=0.0, le=0.3)
    blur_probability: float = Field(0.3, ge=0.0, le=1.0)
    max_blur_sigma: float = Field(1.2, ge=0.0)
    noise_probability: float = Field(0.5, ge=0.0, le=1.0)
    max_noise_std: float = Field(8.0, ge=0.0)
    jpeg_quality: tuple[int, int] = (80, 95)

    @model_validator(mode="after")
    def _ranges_ordered(self) -> "SynthOptions":
        for name in ("plates_per_image", "regular_width", "jpeg_quality"):
            lo, hi = getattr(self, name)
            if lo > hi:
                raise ValueError(f"{name}: lower bound {lo} exceeds upper bound {hi}")
        if self.plates_per_image[0] < 0:
            raise ValueError("plates_per_image must be non-negative")
        return self
