"""hyperopt search through the real training code; failures, resume, and best params reaching train."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from alpr.catalog import DatasetCatalog
from alpr.model.training_config import TrainParams
from alpr.tuning import FloatRange, SearchSpace, TrialStore, TuneConfig, run_search, search_key, train_and_score

SPACE = SearchSpace(lr=FloatRange(low=1e-4, high=1e-3, log=True), weight_decay=FloatRange(low=0.01, high=0.1),
                    embed_dims=[8, 16], depths=[[1, 1, 1, 1], [2, 2, 2, 2]], image_size=[(320, 240)])
BASE = TrainParams(max_iters=50, batch_size=1, warmup_iters=1, image_size=(320, 240), embed_dims=16)


@pytest.fixture()
def store(tmp_path: Path) -> TrialStore:
    return TrialStore(DatasetCatalog(f"sqlite:///{tmp_path / 'catalog.db'}"))


def test_tiny_search_with_real_training_and_a_failing_trial(tiny_dataset: Path, store: TrialStore) -> None:
    config = TuneConfig(enabled=True, max_trials=3, trial_iters=2, objective="bbox_mAP", seed=1, space=SPACE,
                        keep_base_without_signal=False)  # 2 iterations score 0: still pick a trial
    calls = []

    def train_fn(params: TrainParams, dataset_dir: Path) -> dict[str, float]:
        calls.append(params)
        if len(calls) == 2:
            raise MemoryError("out of memory (injected)")
        return train_and_score(params, dataset_dir)

    result = run_search(config, BASE, tiny_dataset, store, "search-a", train_fn=train_fn)
    assert [t.status for t in result.trials] == ["ok", "failed", "ok"]
    assert result.trials[1].error == "MemoryError: out of memory (injected)"
    assert all(p.max_iters == 2 and p.seed == 1 for p in calls)  # trials use the short schedule
    ok = [t for t in result.trials if t.status == "ok"]
    assert {"bbox_mAP", "dv_mAP", "eir"} <= set(ok[0].metrics) and ok[0].duration_s > 0
    assert result.best_trial in {t.number for t in ok}
    best = result.trials[result.best_trial]
    assert result.best_params.lr == pytest.approx(best.params["lr"])
    assert result.best_params.max_iters == 50  # the full schedule comes from the base parameters
    assert "| trial | status |" in result.table_markdown()


def _fake_score(params: TrainParams, dataset_dir: Path) -> dict[str, float]:
    """Deterministic score of the parameters (no training): resume logic only."""
    value = 1.0 - abs(params.lr - 5e-4) * 1000 - params.weight_decay
    return {"bbox_mAP": value, "segm_mAP": 0.0, "dv_mAP": 0.0, "eir": 0.0}


def test_resume_reuses_finished_trials_and_continues_identically(store: TrialStore, tmp_path: Path) -> None:
    short = TuneConfig(enabled=True, max_trials=2, trial_iters=1, seed=5, space=SPACE)
    longer = short.model_copy(update={"max_trials": 4})
    key = search_key(short, BASE, "dataset-hash")
    assert key == search_key(longer, BASE, "dataset-hash")  # same search, more trials

    counted = []

    def counting(params, d):
        counted.append(params)
        return _fake_score(params, d)

    first = run_search(short, BASE, tmp_path, store, key, train_fn=counting)
    assert len(counted) == 2
    resumed = run_search(longer, BASE, tmp_path, store, key, train_fn=counting)
    assert len(counted) == 4  # only the two new trials ran
    assert [t.params for t in resumed.trials[:2]] == [t.params for t in first.trials]

    other_store = TrialStore(DatasetCatalog(f"sqlite:///{tmp_path / 'fresh.db'}"))
    straight = run_search(longer, BASE, tmp_path, other_store, key, train_fn=_fake_score)
    assert [t.params for t in straight.trials] == [t.params for t in resumed.trials]
    assert run_search(longer, BASE, tmp_path, store, key, train_fn=counting).best_trial == resumed.best_trial
    assert len(counted) == 4  # a finished search runs nothing


def test_all_trials_failing_fails_the_search(store: TrialStore, tmp_path: Path) -> None:
    def broken(params, d):
        raise FloatingPointError("loss became NaN")

    config = TuneConfig(enabled=True, max_trials=2, trial_iters=1, space=SPACE, algorithm="random")
    with pytest.raises(RuntimeError, match="all 2 tuning trials failed: trial 0: FloatingPointError: loss became NaN"):
        run_search(config, BASE, tmp_path, store, "search-b", train_fn=broken)


def test_no_signal_keeps_base_parameters(store: TrialStore, tmp_path: Path) -> None:
    def zero(params, d):
        return {"bbox_mAP": 0.0, "segm_mAP": 0.0, "dv_mAP": 0.0, "eir": 0.0}

    config = TuneConfig(enabled=True, max_trials=2, trial_iters=1, space=SPACE)
    result = run_search(config, BASE, tmp_path, store, "search-z", train_fn=zero)
    assert result.best_trial == -1 and result.best_params == BASE
    assert "training keeps the base parameters" in result.table_markdown()


def test_space_validation() -> None:
    with pytest.raises(ValueError, match="log-uniform range needs low > 0"):
        FloatRange(low=0, high=1, log=True)


def test_best_params_reach_train_in_pipeline(tmp_path: Path) -> None:
    tuning = TuneConfig(enabled=True, max_trials=2, trial_iters=1, seed=3, space=SPACE, algorithm="random",
                        keep_base_without_signal=False)
    run = _tuned_training_run(tmp_path, tuning, max_iters=2)
    assert {"tune_worker_0", "tune_select", "train"} <= set(run.steps)  # one worker: the same path
    result = run.steps["tune_select"].outputs["tuning_result"][0].load()
    assert len(result.trials) == 2
    assert "| trial | status |" in str(run.steps["tune_select"].outputs["trials_table"][0].load())
    shown = {Path(v.uri).name: v.uri for v in run.steps["tune_select"].outputs["tuning_result"][0].visualizations}
    assert set(shown) == {"trials.png", "trials.md"}  # objective per trial, and the table, in the dashboard
    import cv2

    assert cv2.imread(shown["trials.png"]).shape == (300, 600, 3)
    assert Path(shown["trials.md"]).read_text() == result.table_markdown()
    trained = run.steps["train"].outputs["trained_model"][0].load()
    stored = torch.load(trained.checkpoint_uri, weights_only=True)["params"]
    best = result.best_params.model_dump(mode="json")
    for key in ("lr", "weight_decay", "embed_dims", "depths"):
        assert stored[key] == best[key], key
    assert stored["max_iters"] == 2  # the full schedule, not the trials'


def _slow_fake_score(params: TrainParams, dataset_dir: Path) -> dict[str, float]:
    import time

    time.sleep(0.3)
    return _fake_score(params, dataset_dir)


def _worker(url: str, key: str, name: str, out: str) -> None:
    from alpr.tuning import run_trials

    config = TuneConfig(enabled=True, max_trials=6, trial_iters=1, seed=2, space=SPACE, algorithm="random")
    ran = run_trials(config, BASE, Path("."), TrialStore(DatasetCatalog(url)), key, _slow_fake_score, worker=name)
    Path(out).write_text(str(ran))


def test_parallel_workers_share_one_search(tmp_path: Path) -> None:
    """Two processes on one search (as parallel pipeline steps would): every trial runs once."""
    import multiprocessing as mp

    from alpr.tuning import collect

    url = f"sqlite:///{tmp_path / 'catalog.db'}"
    TrialStore(DatasetCatalog(url))  # schema first
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_worker, args=(url, "search-p", f"w{i}", str(tmp_path / f"w{i}"))) for i in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    counts = [int((tmp_path / f"w{i}").read_text()) for i in range(2)]
    assert sum(counts) == 6 and all(c >= 1 for c in counts)  # both worked, nothing twice
    store = TrialStore(DatasetCatalog(url))
    assert sorted(d["tid"] for d in store.load("search-p")) == list(range(6))
    config = TuneConfig(enabled=True, max_trials=6, trial_iters=1, seed=2, space=SPACE, algorithm="random")
    result = collect(config, BASE, store, "search-p")
    assert [t.number for t in result.trials] == list(range(6)) and all(t.status == "ok" for t in result.trials)


def test_interrupted_trial_is_run_again(store: TrialStore, tmp_path: Path) -> None:
    config = TuneConfig(enabled=True, max_trials=3, trial_iters=1, seed=4, space=SPACE)
    assert store.claim("search-i", 1, "a-worker-that-died")  # claimed, never finished
    result = run_search(config, BASE, tmp_path, store, "search-i", train_fn=_fake_score)
    assert [t.number for t in result.trials] == [0, 1, 2]


def test_an_interruption_is_no_failed_trial_and_the_next_run_frees_its_claim(store: TrialStore, tmp_path: Path) -> None:
    """The orchestrator stopping a run (an interruption) propagates and records nothing; the
    next run's workers free the claims of other runs, never their own run's."""
    from alpr.tuning import run_trials

    class Stopped(Exception):
        pass

    def stopped(params, d):
        raise Stopped("the run was stopped")

    config = TuneConfig(enabled=True, max_trials=2, trial_iters=1, seed=4, space=SPACE)
    with pytest.raises(Stopped):
        run_trials(config, BASE, tmp_path, store, "search-s", stopped, worker="run-1/0", interruptions=(Stopped,))
    assert store.load("search-s") == []  # not recorded as a failed trial
    assert not store.claim("search-s", 0, "run-2/0")  # still claimed by the stopped run
    assert store.claim("search-s", 1, "run-2/1")  # a running worker of the next run
    assert store.release_unfinished("search-s", except_run="run-2") == 1  # run-1's claim; run-2's stays
    assert run_trials(config, BASE, tmp_path, store, "search-s", _fake_score, worker="run-2/0") == 1  # trial 0
    assert [d["tid"] for d in store.load("search-s")] == [0]  # trial 1 is still run-2's own claim


def test_parallel_tune_steps_in_pipeline(tmp_path: Path) -> None:
    """workers: 2 -> two tune_worker steps, tune_select; every trial once."""
    tuning = TuneConfig(enabled=True, max_trials=2, trial_iters=1, seed=8, space=SPACE, algorithm="random", workers=2)
    run = _tuned_training_run(tmp_path, tuning, max_iters=1)
    assert {"tune_worker_0", "tune_worker_1", "tune_select", "train"} <= set(run.steps)
    ran = [run.steps[f"tune_worker_{i}"].outputs["trials_run"][0].load() for i in range(2)]
    assert sum(ran) == 2
    result = run.steps["tune_select"].outputs["tuning_result"][0].load()
    assert [t.number for t in result.trials] == [0, 1]


def _tuned_training_run(tmp_path: Path, tuning: TuneConfig, max_iters: int):
    """A tiny training pipeline run with ``tuning``, completed; returns the run."""
    from zenml.client import Client
    from zenml.enums import ExecutionStatus

    from pipelines import training_pipeline
    from stacks import ensure_stack

    ensure_stack("local")
    base = TrainParams(max_iters=max_iters, batch_size=1, warmup_iters=1, image_size=(320, 240), embed_dims=16)
    run = training_pipeline.with_options(enable_cache=False)(
        data={"synth_images": 10, "synth_seed": 3, "catalog_url": f"sqlite:///{tmp_path / 'c.db'}",
              "split": {"train": 0.6, "val": 0.2, "test": 0.2}},
        train_params=base, tuning=tuning, foreign_test={"enabled": False},
    )
    run = Client().get_pipeline_run(run.id)
    assert run.status == ExecutionStatus.COMPLETED
    return run
