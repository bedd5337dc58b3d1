"""Dataset catalog: every ingested annotation set and merged training set, versioned in SQL.

One table, ``dataset_versions``; a row is identified by (kind, content_hash), so recording
the same content again returns the existing row. Versions count up per (kind, name) and
are allocated under a unique constraint with retries, so concurrent writers (threads,
processes, machines sharing a MySQL server) never lose or duplicate a row.

URL: the configured ``catalog_url``, else ``ALPR_CATALOG_URL``, else SQLite inside the ZenML
config folder (``.zenml/``). The password goes in ``ALPR_CATALOG_PASSWORD`` (or in
``ALPR_CATALOG_URL``), never in a file: a configured URL that carries one is refused.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    func,
    select,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from alpr.project import zenml_config_path

ANNOTATIONS = "annotations"
COCO = "coco"
KINDS = (ANNOTATIONS, COCO)


class Base(DeclarativeBase):
    pass


class DatasetVersion(Base):
    __tablename__ = "dataset_versions"
    __table_args__ = (
        UniqueConstraint("kind", "content_hash", name="uq_kind_hash"),
        UniqueConstraint("kind", "name", "version", name="uq_kind_name_version"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(128))
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(Text)
    counts: Mapped[dict] = mapped_column(JSON)
    split: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    zenml_artifact_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "name": self.name,
            "version": self.version,
            "content_hash": self.content_hash,
            "source": self.source,
            "counts": self.counts,
            "split": self.split,
            "zenml_artifact_id": self.zenml_artifact_id,
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True)
class RecordResult:
    entry: dict[str, Any]
    created: bool  # False: the same content was already recorded


def resolve_catalog_url(url: str | None = None) -> str:
    """The catalog database to connect to: ``url``, else ``ALPR_CATALOG_URL``, else SQLite in
    the project's ZenML folder; ``ALPR_CATALOG_PASSWORD``, when set, is the password of
    whichever it is (so no configuration file needs to hold one)."""
    url = url or os.environ.get("ALPR_CATALOG_URL")
    if not url:
        config_dir = zenml_config_path()
        config_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{(config_dir / 'catalog.db').resolve()}"
    password = os.environ.get("ALPR_CATALOG_PASSWORD")
    if password:
        url = make_url(url).set(password=password).render_as_string(hide_password=False)
    return url


def has_password(url: str) -> bool:
    return make_url(url).password is not None


class DatasetCatalog:
    """Record and look up dataset versions; safe to use from several processes at once.

    A context manager: ``with DatasetCatalog(url) as catalog: ...`` releases its connections."""

    def __init__(self, url: str | None = None, retries: int = 20):
        self.url = resolve_catalog_url(url)
        self.retries = retries
        self.engine = _make_engine(self.url)
        Base.metadata.create_all(self.engine)

    def record(
        self,
        kind: str,
        name: str,
        content_hash: str,
        source: str,
        counts: dict[str, Any],
        split: dict[str, Any] | None = None,
        zenml_artifact_id: str | None = None,
    ) -> RecordResult:
        """Add a version unless this content is already recorded (then return that row).

        A missing artifact id on the existing row is filled in; nothing else changes.
        """
        if kind not in KINDS:
            raise ValueError(f"unknown dataset kind {kind!r}; expected one of {KINDS}")
        last_error: Exception | None = None
        for attempt in range(self.retries):
            with Session(self.engine) as session:
                existing = self._by_hash(session, kind, content_hash)
                if existing is not None:
                    if zenml_artifact_id and not existing.zenml_artifact_id:
                        existing.zenml_artifact_id = zenml_artifact_id
                        session.commit()
                    return RecordResult(existing.as_dict(), created=False)
                latest = session.scalar(
                    select(func.max(DatasetVersion.version)).where(
                        DatasetVersion.kind == kind, DatasetVersion.name == name
                    )
                )
                row = DatasetVersion(
                    kind=kind,
                    name=name,
                    version=(latest or 0) + 1,
                    content_hash=content_hash,
                    source=source,
                    counts=json.loads(json.dumps(counts)),
                    split=split,
                    zenml_artifact_id=zenml_artifact_id,
                    created_at=datetime.now(timezone.utc),
                )
                session.add(row)
                try:
                    session.commit()
                    return RecordResult(row.as_dict(), created=True)
                except (IntegrityError, OperationalError) as exc:
                    # another writer took this version number or held the lock: look again
                    session.rollback()
                    last_error = exc
                    time.sleep(0.01 * (attempt + 1))
        raise RuntimeError(f"catalog {self.safe_url}: could not record {kind}/{name}: {last_error}")

    def get(self, kind: str, content_hash: str) -> dict[str, Any] | None:
        with Session(self.engine) as session:
            row = self._by_hash(session, kind, content_hash)
            return row.as_dict() if row else None

    def list(self, kind: str | None = None, name: str | None = None) -> list[dict[str, Any]]:
        query = select(DatasetVersion).order_by(DatasetVersion.kind, DatasetVersion.name, DatasetVersion.version)
        if kind:
            query = query.where(DatasetVersion.kind == kind)
        if name:
            query = query.where(DatasetVersion.name == name)
        with Session(self.engine) as session:
            return [row.as_dict() for row in session.scalars(query)]

    def latest(self, kind: str, name: str) -> dict[str, Any] | None:
        rows = self.list(kind, name)
        return rows[-1] if rows else None

    @property
    def safe_url(self) -> str:
        return redacted(self.url)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> "DatasetCatalog":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @staticmethod
    def _by_hash(session: Session, kind: str, content_hash: str) -> DatasetVersion | None:
        return session.scalar(
            select(DatasetVersion).where(DatasetVersion.kind == kind, DatasetVersion.content_hash == content_hash)
        )


def redacted(url: str) -> str:
    """The URL with its password masked, for logs and artifacts."""
    return make_url(url).render_as_string(hide_password=True)


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:  # concurrent readers + one writer
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)
