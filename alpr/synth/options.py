"""Typed options of the synthetic plate generator (loadable from YAML)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from alpr.synth.fonts import CLASSIC_FONTS, TRAINING_FONTS, resolve_font

BorderStyle = Literal["none", "thin", "thick", "rounded"]


#: the first generator's plain look: four Hershey faces, flat known colours, no occluders,
#: lighting or photo backgrounds (what ``look: classic`` starts from)
CLASSIC: dict = dict(
    max_rotation_deg=12.0, max_perspective=0.06, fonts=list(CLASSIC_FONTS), stroke_weight=(0.65, 1.25),
    slant_probability=0.0, sub_row_scale=(1.0, 1.0), glyph_spacing=(0.125, 0.29), fixed_pitch_probability=1.0,
    border_styles=["none", "thin"], random_colour_probability=0.0, board_texture_probability=0.0,
    decoration_probability=0.0, photo_background_probability=0.0, close_plates_probability=0.0,
    occluder_probability=0.0, shadow_probability=0.0, glare_probability=0.0, low_contrast_probability=0.0,
    motion_blur_probability=0.0,
)


class SynthOptions(BaseModel):
    """What the generator draws; every range is inclusive and sampled per image or plate, every
    probability per plate (or per photo, where it says so). The defaults draw the variety the
    model must read; ``classic()`` gives the plain look of the first generator."""

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
    max_rotation_deg: float = Field(15.0, ge=0.0, le=45.0)
    #: corner jitter as a fraction of the plate size (perspective distortion)
    max_perspective: float = Field(0.1, ge=0.0, le=0.3)
    blur_probability: float = Field(0.3, ge=0.0, le=1.0)
    max_blur_sigma: float = Field(1.2, ge=0.0)
    noise_probability: float = Field(0.5, ge=0.0, le=1.0)
    max_noise_std: float = Field(8.0, ge=0.0)
    jpeg_quality: tuple[int, int] = (80, 95)

    # -- how plates are drawn --
    #: glyph fonts ("hershey:FACE", "ttf:FOLDER/FILE.ttf"; see alpr.synth.fonts), one per plate
    fonts: list[str] = Field(default_factory=lambda: list(TRAINING_FONTS), min_length=1)
    #: stroke weight relative to the font's own
    stroke_weight: tuple[float, float] = (0.7, 1.4)
    slant_probability: float = Field(0.1, ge=0.0, le=1.0)
    max_slant: float = Field(0.25, ge=0.0, le=0.5)  # horizontal shear of italic glyphs
    #: glyph height of a two-row plate's upper (sub-number) row, relative to the main row's
    sub_row_scale: tuple[float, float] = (0.6, 1.0)
    #: gap between the glyphs of a group, relative to the glyph height
    glyph_spacing: tuple[float, float] = (0.08, 0.35)
    #: glyphs centred in cells of one width (else each as wide as its ink)
    fixed_pitch_probability: float = Field(0.5, ge=0.0, le=1.0)
    border_styles: list[BorderStyle] = Field(default_factory=lambda: ["none", "thin", "thick", "rounded"],
                                              min_length=1)
    #: board and ink of random colours (light on dark or dark on light) instead of a known scheme
    random_colour_probability: float = Field(0.3, ge=0.0, le=1.0)
    #: a board with a gradient, speckle or grime instead of flat paint
    board_texture_probability: float = Field(0.3, ge=0.0, le=1.0)
    #: screws and a separator dash between the letter and the serial
    decoration_probability: float = Field(0.3, ge=0.0, le=1.0)

    # -- the scene around plates --
    #: per photo: a crop of a real photo (shipped with scikit-image) instead of a procedural background
    photo_background_probability: float = Field(0.3, ge=0.0, le=1.0)
    #: a plate placed right beside the previous one (a few pixels apart)
    close_plates_probability: float = Field(0.2, ge=0.0, le=1.0)
    #: a line or a disc crossing the plate (a wire, a branch, a tow ball)
    occluder_probability: float = Field(0.1, ge=0.0, le=1.0)
    shadow_probability: float = Field(0.15, ge=0.0, le=1.0)
    glare_probability: float = Field(0.1, ge=0.0, le=1.0)
    low_contrast_probability: float = Field(0.15, ge=0.0, le=1.0)
    #: per photo: blur along a line (a moving car), besides ``blur_probability``'s focus blur
    motion_blur_probability: float = Field(0.1, ge=0.0, le=1.0)

    #: what the fields start from: "varied" (the defaults above) or "classic" (the first
    #: generator's plain look, ``CLASSIC``); fields given explicitly override either
    look: Literal["varied", "classic"] = "varied"

    @model_validator(mode="before")
    @classmethod
    def _start_from_look(cls, data):
        if isinstance(data, dict) and data.get("look") == "classic":
            return {**CLASSIC, **data}
        return data

    @classmethod
    def classic(cls, **changes) -> "SynthOptions":
        """The first generator's plain look (``CLASSIC``); ``changes`` override any field."""
        return cls(look="classic", **changes)

    @field_validator("fonts")
    @classmethod
    def _fonts_exist(cls, fonts: list[str]) -> list[str]:
        return [resolve_font(f) for f in fonts]

    @model_validator(mode="after")
    def _ranges_ordered(self) -> "SynthOptions":
        for name in ("plates_per_image", "regular_width", "jpeg_quality", "closeup_width", "stroke_weight",
                     "sub_row_scale", "glyph_spacing"):
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
        if not (0.3 <= self.stroke_weight[0] and self.stroke_weight[1] <= 2.0):
            raise ValueError(f"stroke_weight: within [0.3, 2.0], got {self.stroke_weight}")
        if not (0.4 <= self.sub_row_scale[0] and self.sub_row_scale[1] <= 1.0):
            raise ValueError(f"sub_row_scale: within [0.4, 1.0] (the upper row is never larger), got {self.sub_row_scale}")
        if not (0.0 <= self.glyph_spacing[0] and self.glyph_spacing[1] <= 1.0):
            raise ValueError(f"glyph_spacing: within [0, 1] glyph heights, got {self.glyph_spacing}")
        return self
