"""The pixel scale at which the model reads plates, and how a photo of any size reaches it.

The detector learns glyphs at one scale: boards of a given width range in its input pixels.
A photo much larger than the training scenes (a 1080p or 4K camera frame) shrunk to the
model's input size brings its plates far below that scale; a close-up brings them far above.
So reading is a cascade: find boards on a view of the photo reduced to the model's input size
(but never below ``find_min_scale``, so the smallest plates stay findable), then read every
plate found again, from a crop of the full-resolution photo resized so that its board has
the ``target_width`` of its shape (even a plate already at the reading scale in the view:
re-read at the middle of that scale it reads better, EIR 0.76 -> 0.81 on one model), and a
plate that reads no valid text at that width is read again at ``retry_scales`` of it.

Training uses the same numbers (``PlateScaleResize``): windows at the reading scale, and
whole-photo views at the finding scale. A model config may override them with a top-level
``plate_scale = dict(...)``.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class PlateScale(BaseModel):
    #: the finding view is the photo fitted into the model's input size, but never smaller
    #: than this scale: 80 px wide plates stay ~24 px wide in a 4K photo's view
    find_min_scale: float = Field(0.3, gt=0, le=1)
    #: board widths (model pixels) the model learns to read (training's reading scale)
    read_width: dict[str, tuple[float, float]] = Field(
        default_factory=lambda: {"regular": (62.0, 135.0), "long": (118.0, 250.0)})
    #: the board width (model pixels) a crop brings a board to
    target_width: dict[str, float] = Field(default_factory=lambda: {"regular": 96.0, "long": 180.0})
    #: a crop holds the board and this fraction of its width (height) more on each side
    crop_margin: float = Field(0.5, ge=0)
    #: a plate its crop reads no valid text from is read again at these multiples of the target
    #: width, in turn, until one reads (a glyph the model misses at one scale it often finds at
    #: another); empty: read once
    retry_scales: tuple[float, ...] = (1.25, 0.8)
    #: boards are also looked for on views at these multiples of the finding scale: a board
    #: filling a third of a photo is far wider in the finding view than training's boards
    #: there, and a coarser view brings it back in range (its boards only lead to crops)
    extra_find_scales: tuple[float, ...] = ()
    #: a plate whose board the plate reader reads from the finding view's outline with this
    #: confidence or more is taken as read there, without a crop: one detector pass fewer, and
    #: more plates read (bench/plate_reader.py); None: every plate is read from its crop
    view_read_confidence: float | None = Field(0.9, ge=0.0, le=1.0)

    def find_scale(self, photo_size: tuple[int, int], fit_size: tuple[int, int]) -> float:
        """Scale of the finding view of a (width, height) photo for a model fed ``fit_size``
        (mmdet's keep-ratio rule: the long side within the longer, the short within the shorter)."""
        w, h = photo_size
        fit = min(max(fit_size) / max(w, h), min(fit_size) / min(w, h))
        return max(fit, self.find_min_scale)
