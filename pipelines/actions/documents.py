"""History and attachments: the per-document reads the sync lacks, opt-in.

Xero has no list of all history records or attachments: each is one call per document
(`/{Type}/{id}/History`, `/{Type}/{id}/Attachments`). So only documents the warehouse
received since the last run of this read are fetched (the rows whose `_dlt_load_id` is newer
than the cursor kept in this pipeline's state), at most about `max_requests` calls a run
(the rest wait for the next run), and attachments only for documents with HasAttachments.

Tables (schema of the dataset): `history` (one row per history record: tenant_id,
document_type, document_id, changes, details, user, date_utc) and `attachments` (one row per
file: tenant_id, document_type, document_id, attachment_id, file_name, mime_type,
content_length, include_online, downloaded_to). File bytes are downloaded only when a
`download_dir` is given, to `download_dir/TENANT/TYPE/DOCUMENT/FILE`.

    sync_documents("duckdb:///xero_warehouse.duckdb", download_dir="attachments/")
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dlt

from pipelines.actions.catalogue import ATTACHMENT_TYPES, HISTORY_TYPES
from pipelines.actions.run import check_dataset, table_columns
from pipelines.destination import parse_destination
from pipelines.display import PlainProgress
from pipelines.errors import ConfigurationError
from pipelines.locks import warehouse_lock
from pipelines.runner import (
    finish_pending,
    load_lock,
    loader_file_format,
    pipelines_dir,
    run_step,
    select_tenants,
)
from pipelines.xero import settings
from pipelines.xero.auth import auth_from_env
from pipelines.xero.client import XeroClient, XeroNotFoundError, list_connections
from pipelines.xero.helpers import DELETED_AT, _snake, parse_datetime

logger = logging.getLogger(__name__)

RESOURCES = ("history", "attachments")
DEFAULT_MAX_REQUESTS = 500


@dataclass(frozen=True)
class DocumentType:
    table: str  # warehouse table, e.g. "credit_notes"
    path: str  # Xero path, e.g. "/CreditNotes"
    history: bool
    attachments: bool

    @property
    def key(self) -> str:
        return _snake(settings.BY_NAME[self.table].primary_key)


def document_types() -> tuple[DocumentType, ...]:
    """Every type with history or attachments, from the action catalogue's tables."""
    with_history = {path: table for path, _prefix, table, _scope in HISTORY_TYPES}
    with_files = {path: prefix.replace("-", "_") for path, prefix in ATTACHMENT_TYPES}
    return tuple(
        DocumentType(
            {**with_files, **with_history}[path],
            f"/{path}",
            path in with_history,
            path in with_files,
        )
        for path in sorted(with_history.keys() | with_files.keys())
    )


def sync_documents(
    destination: str | None = None,
    dataset: str = "xero",
    tenants: list[str] | None = None,
    resources: tuple[str, ...] = RESOURCES,
    download_dir: str | Path | None = None,
    max_requests: int = DEFAULT_MAX_REQUESTS,
    *,
    auth=None,
) -> dict[str, int]:
    """Load history and/or attachments for documents changed since the last run, per
    tenant; returns {"history": rows, "attachments": rows, "requests": calls}."""

    check_dataset(dataset)
    unknown = set(resources) - set(RESOURCES)
    if unknown:
        raise ConfigurationError(f"unknown document resources {sorted(unknown)}; use {RESOURCES}")
    target = parse_destination(destination)
    auth = auth or auth_from_env()
    totals = {"history": 0, "attachments": 0, "requests": 0}
    for connection in select_tenants(list_connections(auth), tenants):
        tenant_id = connection["tenantId"]
        with XeroClient(auth, tenant_id) as client:
            reader = DocumentReader(client, target, dataset, resources, download_dir, max_requests)
            _load(reader, target, dataset, tenant_id)
            for name in RESOURCES:
                totals[name] += reader.rows[name]
            totals["requests"] += client.stats.requests
    return totals


def _load(reader: DocumentReader, target, dataset: str, tenant_id: str) -> None:
    pipeline = dlt.pipeline(
        pipeline_name="xero_documents_" + tenant_id.replace("-", "_"),
        pipelines_dir=str(pipelines_dir(target, dataset)),
        destination=target.dlt_destination(),
        dataset_name=dataset,
    )

    with warehouse_lock(target, load_lock(dataset)):
        # a package a killed run left half-loaded is discarded and re-read, as in the sync
        finish_pending(pipeline, target, PlainProgress(io.StringIO()))
        info = run_step(
            target,
            "history/attachments",
            lambda: pipeline.run(reader.source(), loader_file_format=loader_file_format(target)),
        )
    info.raise_on_failed_jobs()


class DocumentReader:
    """Reads the history and attachments of one tenant's changed documents."""

    def __init__(self, client, target, dataset, resources, download_dir, max_requests):
        self.client = client
        self.target = target
        self.dataset = dataset
        self.resources = resources
        self.download_dir = Path(download_dir) if download_dir else None
        self.max_requests = max_requests
        self.rows = {"history": 0, "attachments": 0}

    def source(self):
        @dlt.source(name="xero_documents", max_table_nesting=0)
        def xero_documents():
            return self.resource()

        return xero_documents()

    def resource(self):
        @dlt.resource(name="documents", write_disposition="merge",
                      primary_key=("tenant_id", "row_key"))  # fmt: skip
        def documents() -> Iterator:
            state = dlt.current.source_state()
            cursor = tuple(state.get("after", (0.0, "", "")))
            for position, rows in self._changed(cursor):
                for table, row in rows:
                    self.rows[table] += 1
                    yield dlt.mark.with_table_name(row, table)
                state["after"] = list(position)
                if self.client.stats.requests >= self.max_requests:
                    logger.info("documents: the budget of %d calls is used", self.max_requests)
                    return

        return documents

    def _changed(self, cursor: tuple) -> Iterator[tuple[tuple, list[tuple[str, dict]]]]:
        """((load id, table, document id), rows) for each document the warehouse received
        after `cursor`, in that order, so a run cut short by the budget resumes there."""
        documents = []
        for kind in document_types():
            for document_id, load_id, has_files in self._loaded_since(kind, cursor[0]):
                position = (load_id, kind.table, document_id)
                if position > cursor:
                    documents.append((position, kind, has_files))
        for position, kind, has_files in sorted(documents, key=lambda d: d[0]):
            yield position, self._document_rows(kind, position[2], has_files)

    def _document_rows(self, kind: DocumentType, document_id: str, has_files: bool) -> list:
        rows = []
        try:
            if kind.history and "history" in self.resources:
                rows += [("history", r) for r in self._history(kind, document_id)]
            if kind.attachments and has_files and "attachments" in self.resources:
                rows += [("attachments", r) for r in self._attachments(kind, document_id)]
        except XeroNotFoundError:
            logger.info("%s %s is gone from Xero", kind.table, document_id)
        return rows

    def _loaded_since(self, kind: DocumentType, since: float) -> list[tuple[str, float, bool]]:
        """(document id, its load id, HasAttachments) of live rows loaded at `since` or
        later."""
        connection = self.target.connect()
        try:
            cursor_sql = connection.cursor()
            columns = table_columns(cursor_sql, self.dataset, kind.table)
            if kind.key not in columns:
                return []
            files = "has_attachments" if "has_attachments" in columns else "false"
            live = f" and {DELETED_AT} is null" if DELETED_AT in columns else ""
            mark = self.target.placeholder
            cursor_sql.execute(
                f"select {kind.key}, cast(_dlt_load_id as double), {files} "
                f"from {self.dataset}.{kind.table} "
                f"where tenant_id = {mark} and cast(_dlt_load_id as double) >= {mark}{live}",
                (self.client.tenant_id, since),
            )
            return [(str(r[0]), float(r[1]), bool(r[2])) for r in cursor_sql.fetchall()]
        finally:
            connection.close()

    def _history(self, kind: DocumentType, document_id: str) -> Iterator[dict]:
        body = self.client.get(f"{kind.path}/{document_id}/History")
        for record in body.get("HistoryRecords") or []:
            fields = [record.get(k) for k in ("DateUTC", "Changes", "Details")]
            key = "|".join([kind.table, document_id, *(str(f) for f in fields)])
            yield {
                **self._owner(kind, document_id),
                "row_key": hashlib.sha256(key.encode()).hexdigest()[:32],
                "changes": record.get("Changes"),
                "details": record.get("Details"),
                "user": record.get("User"),
                "date_utc": parse_datetime(record.get("DateUTC")),
            }

    def _attachments(self, kind: DocumentType, document_id: str) -> Iterator[dict]:
        body = self.client.get(f"{kind.path}/{document_id}/Attachments")
        for item in body.get("Attachments") or []:
            yield {
                **self._owner(kind, document_id),
                "row_key": item.get("AttachmentID"),
                "attachment_id": item.get("AttachmentID"),
                "file_name": item.get("FileName"),
                "mime_type": item.get("MimeType"),
                "content_length": item.get("ContentLength"),
                "include_online": item.get("IncludeOnline"),
                "downloaded_to": self._download(kind, document_id, item),
            }

    def _download(self, kind: DocumentType, document_id: str, item: dict) -> str | None:
        if self.download_dir is None:
            return None
        path = f"{kind.path}/{document_id}/Attachments/{item['AttachmentID']}"
        mime_type = item.get("MimeType") or "application/octet-stream"
        content = self.client.request("GET", path, raw=True, headers={"contentType": mime_type})
        name = Path(str(item.get("FileName") or item["AttachmentID"])).name
        target = self.download_dir / self.client.tenant_id / kind.table / document_id / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        return str(target)

    def _owner(self, kind: DocumentType, document_id: str) -> dict:
        return {
            "tenant_id": self.client.tenant_id,
            "document_type": kind.table,
            "document_id": document_id,
        }

