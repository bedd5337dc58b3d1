"""Promotion rule: a candidate replaces production only if it reads plates better on the same
test split: higher EIR first; at equal EIR, higher bbox mAP."""

from __future__ import annotations

from pydantic import BaseModel


class Decision(BaseModel):
    """Whether the candidate model version goes to production, and why."""

    promote: bool
    reason: str
    candidate_version: int | None = None
    #: the version in production when the decision was made (None: none yet)
    production_version: int | None = None


def compare(candidate: dict, production: dict | None, force: bool = False) -> Decision:
    """``candidate``/``production``: metrics with ``eir`` and ``bbox_mAP`` on the same split."""
    if force:
        return Decision(promote=True, reason="forced")
    if production is None:
        return Decision(promote=True, reason="no model in production yet")
    c = (round(candidate["eir"], 6), round(candidate["bbox_mAP"], 6))
    p = (round(production["eir"], 6), round(production["bbox_mAP"], 6))
    if c > p:
        what = "EIR" if c[0] > p[0] else "bbox mAP (EIR tied)"
        return Decision(promote=True, reason=f"candidate beats production on {what}: EIR {c[0]:.4f} vs {p[0]:.4f}, "
                                             f"mAP {c[1]:.4f} vs {p[1]:.4f}")
    return Decision(promote=False,
                    reason=f"production stays: candidate EIR {c[0]:.4f} vs {p[0]:.4f}, mAP {c[1]:.4f} vs {p[1]:.4f} "
                           "(needs higher EIR, or equal EIR and higher mAP)")
