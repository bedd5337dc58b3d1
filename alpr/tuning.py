"""Hyper-parameter search with hyperopt (TPE or random) over the training parameters.

Each trial trains a short schedule on the train split with the same code as the ``train``
step and scores it on the val split with the same metric code as ``evaluate``. Every trial is
stored in the catalog database as soon as it ends (``tuning_trials``), keyed by the search
(space, objective, algorithm, base parameters, dataset): rerunning the same search reuses
finished trials and continues where it stopped. Trial ``n`` draws its suggestion from a
generator seeded with ``(seed, n)``, so a resumed search suggests what an uninterrupted one
would have.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import math
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, Field, model_validator
from sqlalchemy import JSON, Integer, String, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from alpr.catalog import Base, DatasetCatalog
from alpr.model.training_config import TrainParams

log = logging.getLogger(__name__)
Objective = Literal["bbox_mAP", "segm_mAP", "dv_mAP", "eir"]


class FloatRange(BaseModel):
    low: float
    high: float
    log: bool = False

    @model_validator(mode="after")
    def _ordered(self) -> "FloatRange":
        if not self.low < self.high:
            raise ValueError(f"range low {self.low} must be below high {self.high}")
        if self.log and self.low <= 0:
            raise ValueError("a log-uniform range needs low > 0")
        return self


class SearchSpace(BaseModel):
    """What the search varies; a choice left empty is not searched (the base parameters' value)."""

    lr: FloatRange = FloatRange(low=1e-4, high=1e-3, log=True)
    weight_decay: FloatRange = FloatRange(low=0.01, high=0.1, log=True)
    embed_dims: list[int] = Field(default_factory=list)
    depths: list[list[int]] = Field(default_factory=list)
    image_size: list[tuple[int, int]] = Field(default_factory=list)


class TuneConfig(BaseModel):
    enabled: bool = False
    algorithm: Literal["tpe", "random"] = "tpe"
    max_trials: int = Field(4, ge=1)
    trial_iters: int = Field(100, ge=1)  # training iterations per trial
    objective: Objective = "bbox_mAP"  # maximised
    seed: int = 0
    #: when no trial scores above 0 (schedules too short to learn anything), train with the
    #: base parameters instead of an arbitrary trial's
    keep_base_without_signal: bool = True
    #: >1: that many tune_worker steps share the search (in parallel on Kubeflow)
    workers: int = Field(1, ge=1)
    space: SearchSpace = SearchSpace()


class Trial(BaseModel):
    number: int
    status: Literal["ok", "failed"]
    params: dict[str, Any]
    metrics: dict[str, float] = Field(default_factory=dict)
    duration_s: float = 0.0
    error: str = ""


class TuneResult(BaseModel):
    search_key: str
    objective: Objective
    best_trial: int
    best_value: float
    best_params: TrainParams
    trials: list[Trial]

    def table_markdown(self) -> str:
        head = "| trial | status | lr | weight decay | embed | depths | size | bbox mAP | dv-mAP | EIR | s | error |"
        rows = [head, "|" + "---|" * 12]
        for t in self.trials:
            p, m = t.params, t.metrics
            rows.append(
                f"| {t.number}{' *' if t.number == self.best_trial else ''} | {t.status} | {p.get('lr', 0):.2e} "
                f"| {p.get('weight_decay', 0):.3f} | {p.get('embed_dims', '-')} | {p.get('depths', '-')} | {p.get('image_size', '-')} "
                f"| {m.get('bbox_mAP', float('nan')):.3f} | {m.get('dv_mAP', float('nan')):.3f} "
                f"| {m.get('eir', float('nan')):.3f} | {t.duration_s:.0f} | {t.error[:60]} |"
            )
        best = (f"best trial {self.best_trial}" if self.best_trial >= 0
                else "no trial scored above 0: training keeps the base parameters")
        return f"Objective: {self.objective} (maximised); {best}.\n\n" + "\n".join(rows) + "\n"


class _OneTrial:
    """The columns of a row about trial ``tid`` of one search (one row per trial and table)."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    search_key: Mapped[str] = mapped_column(String(64))
    tid: Mapped[int] = mapped_column(Integer)


class TrialRow(_OneTrial, Base):
    """One finished hyperopt trial document of one search."""

    __tablename__ = "tuning_trials"
    __table_args__ = (UniqueConstraint("search_key", "tid", name="uq_search_tid"),)

    doc: Mapped[dict] = mapped_column(JSON)


class TrialClaim(_OneTrial, Base):
    """A trial number taken by a worker; it runs once, whoever runs it."""

    __tablename__ = "tuning_claims"
    __table_args__ = (UniqueConstraint("search_key", "tid", name="uq_claim_search_tid"),)

    worker: Mapped[str] = mapped_column(String(128))


class TrialStore:
    """Finished trials of a search and the claims of running ones, in the catalog database."""

    def __init__(self, catalog: DatasetCatalog):
        self.engine = catalog.engine
        Base.metadata.create_all(self.engine)

    def load(self, search_key: str) -> list[dict]:
        with Session(self.engine) as s:
            rows = s.scalars(select(TrialRow).where(TrialRow.search_key == search_key).order_by(TrialRow.tid))
            return [_doc_from_json(r.doc) for r in rows]

    def claim(self, search_key: str, tid: int, worker: str) -> bool:
        """Take trial ``tid`` for ``worker``; False if another worker has it."""
        with Session(self.engine) as s:
            s.add(TrialClaim(search_key=search_key, tid=tid, worker=worker))
            try:
                s.commit()
                return True
            except IntegrityError:
                s.rollback()
                return False

    def release_unfinished(self, search_key: str, except_run: str | None = None) -> int:
        """Drop claims of trials that never finished (an interrupted run), except those of
        workers of run ``except_run`` (claimed as ``"<run>/<worker>"``); return how many."""
        finished = {d["tid"] for d in self.load(search_key)}
        with Session(self.engine) as s:
            stale = [c for c in s.scalars(select(TrialClaim).where(TrialClaim.search_key == search_key))
                     if c.tid not in finished and not (except_run and c.worker.startswith(f"{except_run}/"))]
            for c in stale:
                s.delete(c)
            s.commit()
            return len(stale)

    def save(self, search_key: str, doc: dict) -> None:
        with Session(self.engine) as s:
            s.add(TrialRow(search_key=search_key, tid=int(doc["tid"]), doc=_doc_to_json(doc)))
            try:
                s.commit()
            except IntegrityError:  # already stored (a concurrent or repeated writer)
                s.rollback()


def search_key(config: TuneConfig, base: TrainParams, dataset_hash: str) -> str:
    """Identity of a search; ``max_trials`` is left out so a longer search continues a shorter one."""
    exclude = {"max_trials", "enabled", "workers", "keep_base_without_signal"}
    payload = {"config": config.model_dump(exclude=exclude), "base": base.model_dump(),
               "dataset": dataset_hash}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


TrainAndScore = Callable[[TrainParams, Path], dict[str, float]]


def train_and_score(params: TrainParams, dataset_dir: Path) -> dict[str, float]:
    """Train a short schedule and score it on the val split: the ``train``/``evaluate`` code."""
    from alpr.model.detector import Detector
    from alpr.model.evaluate import evaluate_detector
    from alpr.model.train import train_detector

    with tempfile.TemporaryDirectory(prefix="alpr-trial-") as out:
        result = train_detector(params, dataset_dir, Path(out))
        report = evaluate_detector(Detector(str(result.checkpoint)), dataset_dir, "val", progress=False)
    return {k: float(v) for k, v in report.model_dump().items() if isinstance(v, (int, float))}


def run_search(
    config: TuneConfig,
    base: TrainParams,
    dataset_dir: Path,
    store: TrialStore,
    key: str,
    train_fn: TrainAndScore = train_and_score,
) -> TuneResult:
    """The whole search in this process: free stale claims, run the missing trials, collect."""
    store.release_unfinished(key)
    run_trials(config, base, dataset_dir, store, key, train_fn)
    return collect(config, base, store, key)


def run_trials(
    config: TuneConfig,
    base: TrainParams,
    dataset_dir: Path,
    store: TrialStore,
    key: str,
    train_fn: TrainAndScore = train_and_score,
    worker: str = "main",
    interruptions: tuple[type[BaseException], ...] = (),
) -> int:
    """Run the search's missing trials that no other worker has claimed; return how many ran.

    A trial that raises is recorded as failed and the search goes on, except for
    ``interruptions`` (the orchestrator stopping the run): they propagate, and the trial's
    claim is left for the next run to free and run again.

    Several workers (processes, machines, parallel pipeline steps) may run this at once on one
    search: each trial number is claimed in the database before it runs, so none runs twice.
    Trial ``n`` is suggested from the trials finished at that moment, with a generator seeded
    by ``(seed, n)``: one worker reproduces a sequential search exactly.
    """
    from hyperopt import STATUS_FAIL, STATUS_OK, Trials, fmin, hp, rand, tpe
    from hyperopt.exceptions import AllTrialsFailed

    choices = {"embed_dims": config.space.embed_dims, "depths": config.space.depths,
               "image_size": [list(s) for s in config.space.image_size]}
    space = {
        "lr": _float(hp, "lr", config.space.lr),
        "weight_decay": _float(hp, "weight_decay", config.space.weight_decay),
        **{name: hp.choice(name, options) for name, options in choices.items() if options},
    }

    def objective(sample: dict[str, Any]) -> dict[str, Any]:
        sample = _typed(sample)
        params = base.model_copy(update={**sample, "max_iters": config.trial_iters, "validate_at_end": False,
                                         "seed": config.seed,
                                         # trials score the detector: no glyph classifier, no plate reader
                                         "glyphs": base.glyphs.model_copy(update={"enabled": False}),
                                         "reader": base.reader.model_copy(update={"enabled": False})})
        started = time.perf_counter()
        try:
            TrainParams.model_validate(params.model_dump())
            metrics = train_fn(params, dataset_dir)
            bad = [k for k, v in metrics.items() if not math.isfinite(v)]
            if bad:
                raise FloatingPointError(f"non-finite metrics: {', '.join(bad)}")
        except interruptions:
            raise
        except Exception as exc:  # a failed trial is recorded and the search goes on
            log.warning("tune: trial failed: %s: %s", type(exc).__name__, exc)
            return {"status": STATUS_FAIL, "failure": f"{type(exc).__name__}: {exc}", "params": _jsonable(sample),
                    "duration_s": time.perf_counter() - started}
        return {"status": STATUS_OK, "loss": -metrics[config.objective], "metrics": metrics,
                "params": _jsonable(sample), "duration_s": time.perf_counter() - started}

    algo = tpe.suggest if config.algorithm == "tpe" else rand.suggest
    ran = 0
    for n in range(config.max_trials):
        finished = store.load(key)
        if any(d["tid"] == n for d in finished) or not store.claim(key, n, worker):
            continue
        trials = Trials()
        if finished:
            trials.insert_trial_docs([_renumbered(d, i) for i, d in enumerate(finished)])
            trials.refresh()
        try:
            fmin(objective, space, algo=algo, max_evals=len(finished) + 1, trials=trials,
                 rstate=np.random.default_rng([config.seed, n]), show_progressbar=False, return_argmin=False)
        except AllTrialsFailed:  # hyperopt's bookkeeping when no trial succeeded yet; the trial is recorded
            pass
        store.save(key, _renumbered(trials.trials[-1], n))
        ran += 1
        log.info("tune: trial %d/%d done (worker %s)", n + 1, config.max_trials, worker)
    return ran


def collect(config: TuneConfig, base: TrainParams, store: TrialStore, key: str) -> TuneResult:
    """The search's result from its stored trials: the table and the best parameters."""
    table = [_trial(doc) for doc in store.load(key) if doc["tid"] < config.max_trials]
    ok = [t for t in table if t.status == "ok"]
    if not ok:
        reasons = "; ".join(f"trial {t.number}: {t.error}" for t in table)
        raise RuntimeError(f"all {len(table)} tuning trials failed: {reasons}")
    best = max(ok, key=lambda t: t.metrics[config.objective])
    value = best.metrics[config.objective]
    if value <= 0 and config.keep_base_without_signal:
        log.warning("tune: no trial scored %s above 0; training keeps the base parameters", config.objective)
        return TuneResult(search_key=key, objective=config.objective, best_trial=-1, best_value=value,
                          best_params=base, trials=table)
    best_params = base.model_copy(update=_typed(best.params))
    return TuneResult(search_key=key, objective=config.objective, best_trial=best.number,
                      best_value=value, best_params=best_params, trials=table)


def _typed(sample: dict[str, Any]) -> dict[str, Any]:
    """A hyperopt sample (or its stored JSON) as TrainParams fields: lists become tuples where
    the field is a tuple."""
    out = dict(sample)
    if "depths" in out:
        out["depths"] = list(out["depths"])
    if "image_size" in out:
        out["image_size"] = tuple(out["image_size"])
    return out


def _renumbered(doc: dict, tid: int) -> dict:
    """A trial document carrying trial number ``tid`` (hyperopt keeps it in three places)."""
    out = copy.deepcopy(doc)
    out["tid"] = tid
    out["misc"]["tid"] = tid
    out["misc"]["idxs"] = {k: ([tid] if v else []) for k, v in out["misc"]["idxs"].items()}
    return out


def _trial(doc: dict) -> Trial:
    result = doc["result"]
    return Trial(
        number=int(doc["tid"]),
        status="ok" if result.get("status") == "ok" else "failed",
        params=result.get("params", {}),
        metrics=result.get("metrics", {}),
        duration_s=float(result.get("duration_s", 0.0)),
        error=result.get("failure", ""),
    )


def _float(hp, name: str, r: FloatRange):
    if r.log:
        return hp.loguniform(name, math.log(r.low), math.log(r.high))
    return hp.uniform(name, r.low, r.high)


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=lambda v: v.item() if hasattr(v, "item") else list(v)))


_DATETIME_KEYS = ("book_time", "refresh_time")


def _doc_to_json(doc: dict) -> dict:
    out = {k: v for k, v in doc.items() if k not in _DATETIME_KEYS}
    for k in _DATETIME_KEYS:
        out[k] = doc[k].isoformat() if isinstance(doc.get(k), datetime) else None
    return _jsonable(out)


def _doc_from_json(doc: dict) -> dict:
    out = dict(doc)
    for k in _DATETIME_KEYS:
        out[k] = datetime.fromisoformat(doc[k]) if doc.get(k) else None
    return out
