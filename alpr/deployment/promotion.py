"""Promotion rule: a candidate replaces production only if it reads plates better on the same
test sets: a higher mean EIR over the in-distribution test split and the foreign test set
(when the run scored one) first; at equal EIR, a higher bbox mAP on the test split. The mean
keeps a model that reads its own generator's plates a little better but foreign ones worse
from replacing one that generalizes."""

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
    """``candidate``/``production``: metrics with ``eir`` and ``bbox_mAP`` on the same test
    split, and ``foreign_eir`` on the same foreign set when there is one (in both or neither)."""
    if force:
        return Decision(promote=True, reason="forced")
    if production is None:
        return Decision(promote=True, reason="no model in production yet")
    if ("foreign_eir" in candidate) != ("foreign_eir" in production):
        raise ValueError("compare: a foreign EIR for one model and not the other; score both on the same sets")
    c, p = _key(candidate), _key(production)
    scores = (f"EIR {_eirs(candidate)} vs {_eirs(production)}, "
              f"mAP {round(candidate['bbox_mAP'], 6):.4f} vs {round(production['bbox_mAP'], 6):.4f}")
    if c > p:
        what = "EIR" if c[0] > p[0] else "bbox mAP (EIR tied)"
        return Decision(promote=True, reason=f"candidate beats production on {what}: {scores}")
    return Decision(promote=False,
                    reason=f"production stays: candidate {scores} (needs higher EIR, or equal EIR and higher mAP)")


def _key(metrics: dict) -> tuple[float, float]:
    eirs = [metrics["eir"]] + ([metrics["foreign_eir"]] if "foreign_eir" in metrics else [])
    return round(sum(eirs) / len(eirs), 6), round(metrics["bbox_mAP"], 6)


def _eirs(metrics: dict) -> str:
    if "foreign_eir" not in metrics:
        return f"{round(metrics['eir'], 6):.4f}"
    return f"{_key(metrics)[0]:.4f} (test {metrics['eir']:.4f}, foreign {metrics['foreign_eir']:.4f})"
