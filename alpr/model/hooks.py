"""Training hooks registered with mmdetection (imported by the model configs)."""

from __future__ import annotations

import logging
import time

from mmengine.hooks import Hook
from mmdet.registry import HOOKS

log = logging.getLogger(__name__)


@HOOKS.register_module()
class TimeBudgetHook(Hook):
    """Stop training once ``seconds`` of wall time have passed since its first iteration.

    For machines lent for a fixed time (a GPU for minutes): a run that would overrun its lease
    ends with a model instead of nothing. The learning-rate schedule still spans the configured
    iterations, so a stopped run ends at a higher rate than a finished one; the iterations it
    ran are in the checkpoint's metrics."""

    priority = "LOWEST"

    def __init__(self, seconds: float) -> None:
        if seconds <= 0:
            raise ValueError(f"TimeBudgetHook: seconds must be positive, got {seconds}")
        self.seconds = float(seconds)
        self._started: float | None = None

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        if self._started is None:
            self._started = time.perf_counter()

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if time.perf_counter() - self._started >= self.seconds and not runner.train_loop.stop_training:
            log.warning("time budget of %.0f s spent: training stops after %d of %d iterations",
                        self.seconds, runner.iter + 1, runner.max_iters)
            runner.train_loop.stop_training = True
