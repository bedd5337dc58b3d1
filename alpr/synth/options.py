"""Typed options of the synthetic plate generator (loadable from YAML)."""

from __future__ import annotations

from pydantic import BaseModel, Field, model_validator


class SynthOptions(BaseModel):
    """What the generator draws; every range is inclusive and sampled per image or plate."""

    #: photo sizes (width, height) to draw from, each with the weight of the same index
    image_sizes: list[tuple[int, int]] = Field(default_factory=lambda: [(640, 480)], min_length=1)
    image_size_weights: list[float] | None = None  # None: every size equally likely
    #: fraction of photos turned portrait (width and height swapped)
    portrait_fraction: float = Field(0.0, ge=0.0, le=1.0)
    plates_per_image: tuple[int, int] = (1, 3)
    long_fraction: float = Field(0.5, ge=0.0, le=1.0)
    #: width of a regular plate in photo pixels, whatever the photo's size (long plates are
    #: ~1.9x wider): cameras frame cars, so plates keep their size while photos grow
    regular_width: tuple[int, int] = (110, 210)
    #: fraction of photos that are close-ups: one plate, as wide as a fraction of the photo
    closeup_fraction: float = Field(0.0, ge=0.0, le=1.0)
    closeup_width: tuple[float, float] = (0.3, 0.6)
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
        for name in ("plates_per_image", "regular_width", "jpeg_quality", "closeup_width"):
            lo, hi = getattr(self, name)
            if lo > hi:
                raise ValueError(f"{name}: lower bound {lo} exceeds upper bound {hi}")
        if self.plates_per_image[0] < 0:
            raise ValueError("plates_per_image must be non-negative")
        if any(w < 64 or h < 64 for w, h in self.image_sizes):
            raise ValueError(f"image_sizes: every side must be at least 64 px, got {self.image_sizes}")
        if self.image_size_weights is not None and (
            len(self.image_size_weights) != len(self.image_sizes) or min(self.image_size_weights) < 0
            or sum(self.image_size_weights) <= 0
        ):
            raise ValueError("image_size_weights: one non-negative weight per image size, not all 0")
        if not 0 < self.closeup_width[0] <= self.closeup_width[1] <= 1:
            raise ValueError(f"closeup_width: fractions of the photo width in (0, 1], got {self.closeup_width}")
        return self
