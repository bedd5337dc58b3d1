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

from alpr.classes import BOARD_CLASSES
from alpr.postprocess import Detection


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
    #: a photo whose finding view ``find_min_scale`` holds at this many times the scale fitting
    #: it into the model's input, or more, is also looked at fitted: a close-up of a 2560x1440
    #: or 4K frame (a 1300-2300 px board) is 400-700 px wide in the finding view, far wider than
    #: any board the model learnt to find, and 130-230 px fitted, as a 640x480 close-up is in its
    #: view (its boards, like the coarser views', lead only to crops, and only where too wide for
    #: the finding view: ``too_wide_to_find``). 1.9: 2560x1440 photos (2.0 into 384x288) and up,
    #: not 1920x1080 ones (1.5), whose close-ups the finding view finds; None: never
    fitted_view_from: float | None = Field(1.9, ge=1.0)
    #: such a photo is looked at these multiples of the fitting scale: a close-up filling half a
    #: 2560x1440 frame (1300-1500 px) is still 190-220 px wide fitted, above the boards the model
    #: learnt to find, and 95-110 px at half of it; but (1.0, 0.5) read one plate more and one
    #: fewer on two models' 2560x1440 and 4K photos (docs/results.md): a lever, off by default
    fitted_view_scales: tuple[float, ...] = (1.0,)
    #: a plate whose board the plate reader reads from the finding view's outline with this
    #: confidence or more is taken as read there, without a crop: one detector pass fewer, and
    #: more plates read (bench/plate_reader.py); None: every plate is read from its crop
    view_read_confidence: float | None = Field(0.9, ge=0.0, le=1.0)

    def find_scale(self, photo_size: tuple[int, int], fit_size: tuple[int, int]) -> float:
        """Scale of the finding view of a (width, height) photo for a model fed ``fit_size``."""
        return max(fit_scale(photo_size, fit_size), self.find_min_scale)

    def coarse_scales(self, photo_size: tuple[int, int], fit_size: tuple[int, int]) -> list[float]:
        """Scales of the views boards are also looked for on, after the finding view's:
        ``extra_find_scales`` of it, and the fitted views (``fitted_view_from``,
        ``fitted_view_scales``)."""
        find, fit = self.find_scale(photo_size, fit_size), fit_scale(photo_size, fit_size)
        fitted = self.fitted_view_from is not None and find >= self.fitted_view_from * fit
        return [find * extra for extra in self.extra_find_scales] + (
            [fit * factor for factor in self.fitted_view_scales] if fitted else [])

    def too_wide_to_find(self, board: Detection, find_scale: float) -> bool:
        """Whether ``board`` (photo pixels) is wider in the finding view than any board of its
        shape the model learnt to read (``read_width``): only such boards are worth a coarser
        view's crop. The coarser views see the others too, boxed by far fewer pixels: their
        crops, scaled by those boxes, misread "8" as "3" or "6" (4 plates of 768 in one set of
        2560x1440 and 4K photos)."""
        x1, _, x2, _ = board.bbox
        return (x2 - x1) * find_scale > self.read_width[BOARD_CLASSES[board.label]][1]


def fit_scale(photo_size: tuple[int, int], fit_size: tuple[int, int]) -> float:
    """The scale fitting a (width, height) photo into ``fit_size`` (mmdet's keep-ratio rule: the
    long side within the longer, the short within the shorter)."""
    w, h = photo_size
    return min(max(fit_size) / max(w, h), min(fit_size) / min(w, h))
