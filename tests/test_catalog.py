"""Dataset catalog on SQLite and on a real MySQL/MariaDB server (``ALPR_TEST_MYSQL_URL``)."""

from __future__ import annotations

import multiprocessing as mp
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from alpr.catalog import ANNOTATIONS, COCO, DatasetCatalog, redacted, resolve_catalog_url

MYSQL_URL = os.environ.get("ALPR_TEST_MYSQL_URL")


@pytest.fixture(params=["sqlite", "mysql"])
def catalog_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'catalog.db'}"
        return
    if not MYSQL_URL:
        pytest.skip("ALPR_TEST_MYSQL_URL is not set (CI sets it to the machine's MariaDB)")
    server = create_engine(MYSQL_URL)
    name = f"alpr_test_{uuid.uuid4().hex[:10]}"
    with server.begin() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield make_url(MYSQL_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with server.begin() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        server.dispose()


def _record(catalog: DatasetCatalog, content: str, kind: str = COCO, name: str = "plates"):
    return catalog.record(kind=kind, name=name, content_hash=content.ljust(64, "0"), source="synthetic", counts={"images": 3})


def test_record_versions_and_idempotence(catalog_url: str) -> None:
    catalog = DatasetCatalog(catalog_url)
    first = _record(catalog, "a")
    assert first.created and first.entry["version"] == 1
    again = _record(catalog, "a")
    assert not again.created and again.entry["id"] == first.entry["id"] and again.entry["version"] == 1
    second = _record(catalog, "b")
    assert second.created and second.entry["version"] == 2
    other_kind = _record(catalog, "a", kind=ANNOTATIONS)  # same hash, other kind: its own row
    assert other_kind.created and other_kind.entry["version"] == 1
    assert [r["version"] for r in catalog.list(COCO, "plates")] == [1, 2]
    assert catalog.latest(COCO, "plates")["content_hash"].startswith("b")
    assert catalog.get(COCO, "a".ljust(64, "0"))["counts"] == {"images": 3}
    catalog.close()


def test_artifact_id_filled_in_later(catalog_url: str) -> None:
    catalog = DatasetCatalog(catalog_url)
    _record(catalog, "c")
    res = catalog.record(COCO, "plates", "c".ljust(64, "0"), "synthetic", {}, zenml_artifact_id="1234")
    assert not res.created and res.entry["zenml_artifact_id"] == "1234"
    assert res.entry["counts"] == {"images": 3}  # nothing else changed
    catalog.close()


def test_unknown_kind_rejected(catalog_url: str) -> None:
    with pytest.raises(ValueError, match="unknown dataset kind"):
        DatasetCatalog(catalog_url).record("model", "x", "h", "s", {})


def _writer(url: str, worker: int, per_worker: int, shared: bool) -> None:
    catalog = DatasetCatalog(url)
    for i in range(per_worker):
        content = "same" if shared else f"w{worker}-{i}"
        _record(catalog, content)
    catalog.close()


@pytest.mark.parametrize("shared", [False, True], ids=["distinct", "same-content"])
def test_concurrent_writers_lose_no_rows(catalog_url: str, shared: bool) -> None:
    DatasetCatalog(catalog_url).close()  # create the schema once, as a deployment would
    workers, per_worker = 4, 6
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(catalog_url, w, per_worker, shared)) for w in range(workers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    rows = DatasetCatalog(catalog_url).list(COCO, "plates")
    expected = 1 if shared else workers * per_worker
    assert len(rows) == expected
    assert sorted(r["version"] for r in rows) == list(range(1, expected + 1))
    assert len({r["content_hash"] for r in rows}) == expected


def test_default_url_is_sqlite_in_zenml_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("ALPR_CATALOG_URL", raising=False)
    monkeypatch.setenv("ZENML_CONFIG_PATH", str(tmp_path / "zen"))
    assert resolve_catalog_url() == f"sqlite:///{tmp_path / 'zen' / 'catalog.db'}"
    monkeypatch.setenv("ALPR_CATALOG_URL", "mysql+pymysql://alpr@db.example:3306/catalog")
    monkeypatch.setenv("ALPR_CATALOG_PASSWORD", "s3cret")
    url = resolve_catalog_url()
    assert make_url(url).password == "s3cret" and make_url(url).host == "db.example"
    assert "s3cret" not in redacted(url) and "***" in redacted(url)


def test_the_password_applies_to_a_configured_url_which_may_not_hold_one(monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import ValidationError

    from alpr.dataset_params import DatasetParams

    monkeypatch.setenv("ALPR_CATALOG_PASSWORD", "s3cret")
    configured = DatasetParams(catalog_url="mysql+pymysql://alpr@db.example/catalog").catalog_url
    assert make_url(resolve_catalog_url(configured)).password == "s3cret"
    with pytest.raises(ValidationError, match="ALPR_CATALOG_PASSWORD"):
        DatasetParams(catalog_url="mysql+pymysql://alpr:s3cret@db.example/catalog")
