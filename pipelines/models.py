"""The reporting models: the dbt project in `sql/`, run through dbt's Python API.

The profile is built from the destination URL into a private temporary folder for each run
(the PostgreSQL password goes through a `DBT_ENV_SECRET_` variable, which dbt keeps out of its
logs and files); dbt's own files go under `$XERO_WAREHOUSE_HOME/dbt`, never into the installed
project. Marts land in schema `reporting`, staging and intermediate models next to it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import yaml
from filelock import FileLock

import pipelines
from pipelines.destination import Destination, parse_destination
from pipelines.environment import overridden, setting, state_home
from pipelines.errors import ConfigurationError, XeroWarehouseError

logger = logging.getLogger(__name__)

PROFILE = "xero_warehouse"  # the profile name in sql/dbt_project.yml
REPORTING_SCHEMA = "reporting"
PASSWORD_VARIABLE = "DBT_ENV_SECRET_XERO_WAREHOUSE_PASSWORD"
DATASET_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
POSTGRES_THREADS = 4


class ModelError(XeroWarehouseError):
    """A model could not be built; the message names the model."""


@dataclass(frozen=True)
class ModelResult:
    name: str
    schema: str
    rows: int


def project_dir() -> Path:
    """The installed dbt project (`sql/` next to the `pipelines` package), never the cwd."""
    return Path(pipelines.__file__).resolve().parent.parent / "sql"


def dbt_home() -> Path:
    """dbt's logs and targets: `$XERO_WAREHOUSE_HOME/dbt` (default ~/.xero-warehouse/dbt)."""
    return state_home() / "dbt"


def profile(destination: Destination) -> dict:
    """The dbt profile for `destination`, without any password in it."""
    if destination.kind == "duckdb":
        output = {"type": "duckdb", "path": str(destination.duckdb_path), "threads": 4}
    else:
        url = destination.postgres
        output = {
            "type": "postgres",
            "host": url.host,
            "port": url.port or 5432,
            "user": url.user or setting("USER") or "postgres",
            "password": "{{ env_var('" + PASSWORD_VARIABLE + "', '') }}",
            "dbname": url.dbname,
            "threads": POSTGRES_THREADS,
        }
    output["schema"] = REPORTING_SCHEMA
    return {PROFILE: {"target": "warehouse", "outputs": {"warehouse": output}}}


def run_models(
    destination: str | Destination | None = None,
    dataset: str = "xero",
    as_of: date | None = None,
    select: list[str] | None = None,
    command: str = "run",
) -> list[ModelResult]:
    """Build the models (all, or dbt's `--select` of them) and return them with their rows.

    `command` is `run` (models only) or `build` (models, unit and data tests). Refuses a
    warehouse or dataset without raw data; the first failure raises a ModelError naming it."""
    if not DATASET_PATTERN.match(dataset):
        raise ConfigurationError(f"bad dataset name {dataset!r}: use letters, digits and _")
    target = destination if isinstance(destination, Destination) else parse_destination(destination)
    require_raw_data(target, dataset)
    dbt_vars = {"dataset": dataset, "as_of": as_of_date(as_of).isoformat() if as_of else ""}
    args = [command, "--vars", json.dumps(dbt_vars)]
    if select:
        args += ["--select", *select]
    results = invoke_dbt(target, args, dataset)
    return count_rows(target, [r.node for r in results if r.node.resource_type == "model"])


def as_of_date(as_of: date | None) -> date:
    if as_of is None:
        return datetime.now(UTC).date()
    if isinstance(as_of, datetime):
        return as_of.date()
    if not isinstance(as_of, date):
        raise ConfigurationError(f"as_of must be a date, not {type(as_of).__name__}")
    return as_of


def require_raw_data(target: Destination, dataset: str) -> None:
    """One clear error, before dbt creates anything, when there is nothing to model."""
    try:
        with closing(target.connect_existing()) as connection:
            cursor = connection.cursor()
            placeholder = target.placeholder
            cursor.execute(
                "select count(*) from information_schema.tables"
                f" where table_schema = {placeholder}",
                (dataset,),
            )
            tables = cursor.fetchone()[0]
    except XeroWarehouseError:
        raise
    except Exception as exc:  # e.g. a DuckDB file locked by another writer, or not DuckDB
        raise ConfigurationError(f"cannot open {target.display}: {one_line(exc)}") from None
    if not tables:
        raise ConfigurationError(
            f"no raw data in dataset {dataset!r} of {target.display}: "
            "run `xero-warehouse sync` first, or pass the --dataset it loaded"
        )


def invoke_dbt(target: Destination, args: list[str], dataset: str = "xero") -> list:
    """Run `dbt <args>` on the project against `target`; its node results, in order."""
    from dbt.cli.main import dbtRunner  # dbt is heavy: only loaded when models run

    with _dbt_files(target, dataset) as options:
        manifest = parsed_manifest(target, dataset, options)
        try:
            outcome = dbtRunner(manifest=manifest).invoke([*args, *options])
        finally:
            if target.kind == "duckdb":
                _close_dbt_duckdb()
    results = list(getattr(outcome.result, "results", None) or [])
    failed = [r for r in results if str(r.status) in ("error", "fail", "runtime error")]
    if failed:
        node = failed[0].node
        raise ModelError(f"{_kind(node)} {node.name} failed: {one_line(failed[0].message)}")
    if not outcome.success:
        raise ModelError(f"dbt failed: {one_line(outcome.exception or 'see ' + _log_file())}")
    return results


def _close_dbt_duckdb() -> None:
    """dbt-duckdb keeps the warehouse file open for the rest of the process; close it, so this
    process can open the file again (a sync, a read-only query) with another configuration."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager  # with dbt, above

    with DuckDBConnectionManager._LOCK:
        if DuckDBConnectionManager._ENV is not None:
            DuckDBConnectionManager._ENV.close()
            DuckDBConnectionManager._ENV = None


def parsed_manifest(target: Destination, dataset: str, options: list[str]):
    """The project parsed for this warehouse and dataset (the manifest names the database),
    once per process: a full parse takes seconds; dbt's partial parsing under `dbt_home()`
    speeds up the first one."""
    from dbt.cli.main import dbtRunner  # dbt is heavy: only loaded when models run

    key = (target.display, dataset, _project_hash())
    if key not in _MANIFESTS:
        dbt_vars = json.dumps({"dataset": dataset})
        outcome = dbtRunner().invoke(["parse", "--vars", dbt_vars, *options])
        if not outcome.success:
            raise ModelError(f"the dbt project does not parse: {one_line(outcome.exception)}")
        _MANIFESTS[key] = outcome.result
    return _MANIFESTS[key]


# parsed projects of this process: {(warehouse, dataset, project hash): Manifest} for dbtRunner,
# {project hash: manifest.json path} for Dagster
_MANIFESTS: dict = {}


@contextmanager
def dbt_profile(target: Destination):
    """A private folder under `dbt_home()` holding the profile for `target`, removed on exit;
    the PostgreSQL password is in the environment (for dbt's `env_var`) only meanwhile."""
    home = dbt_home()
    home.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory(prefix="profile-", dir=home) as private,
        _password_in_environment(target),
    ):
        Path(private, "profiles.yml").write_text(yaml.safe_dump(profile(target)))
        yield private


@contextmanager
def _dbt_files(target: Destination, dataset: str):
    """dbt's options for its files: the private profile, the target (holding dbt's
    partial-parse state) per engine and dataset, and the log, all under `dbt_home()`."""
    with dbt_profile(target) as private:
        (dbt_home() / "logs").mkdir(exist_ok=True)
        yield [
            "--project-dir", str(project_dir()),
            "--profiles-dir", private,
            "--target-path", str(dbt_home() / "target" / f"{target.kind}-{dataset}"),
            "--log-path", str(dbt_home() / "logs"),
            "--log-level", "none",
            "--log-level-file", "info",
            "--no-send-anonymous-usage-stats",
        ]


def project_manifest() -> Path:
    """The project's manifest.json, for Dagster: parsed offline into `dbt_home()` and parsed
    again only when a project file changed. Processes loading the definitions at the same
    time (a run and the workers) parse one at a time, and the manifest is replaced whole, so
    none reads one half written."""
    signature = _project_hash()
    known = _MANIFESTS.get(signature)
    if isinstance(known, Path) and known.is_file():
        return known
    folder = dbt_home() / "manifest"
    manifest, stamp = folder / "manifest.json", folder / "project.sha256"
    folder.mkdir(parents=True, exist_ok=True)
    with FileLock(folder / ".parse.lock"):
        if not (manifest.is_file() and stamp.is_file() and stamp.read_text() == signature):
            _parse_project(manifest)
            stamp.write_text(signature)
    _MANIFESTS[signature] = manifest
    return manifest


def _parse_project(manifest: Path) -> None:
    from dbt.cli.main import dbtRunner  # dbt is heavy: only loaded when models run

    parser = Destination("duckdb", f"duckdb:///{dbt_home() / 'parse-only.duckdb'}")  # never opened
    with (
        tempfile.TemporaryDirectory(dir=manifest.parent) as target,
        _dbt_files(parser, "xero") as options,
    ):
        outcome = dbtRunner().invoke(["parse", *options, "--target-path", target])
        if not outcome.success:
            raise ModelError(f"the dbt project does not parse: {one_line(outcome.exception)}")
        os.replace(Path(target) / "manifest.json", manifest)


def _project_hash() -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in project_dir().rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(project_dir())).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _log_file() -> str:
    return str(dbt_home() / "logs" / "dbt.log")


def _kind(node) -> str:
    return {"model": "model", "unit_test": "unit test"}.get(node.resource_type, "test")


@contextmanager
def _password_in_environment(target: Destination):
    """The PostgreSQL password for dbt's `env_var`, set only while dbt runs."""
    password = target.postgres.password if target.kind == "postgres" else None
    values = {"DBT_SEND_ANONYMOUS_USAGE_STATS": "false", PASSWORD_VARIABLE: password or ""}
    with overridden(values):
        yield


def count_rows(target: Destination, nodes: list) -> list[ModelResult]:
    with closing(target.connect()) as connection:
        cursor = connection.cursor()
        results = []
        for node in nodes:
            cursor.execute(f'select count(*) from "{node.schema}"."{node.alias}"')
            results.append(ModelResult(node.name, node.schema, int(cursor.fetchone()[0])))
        return results


def one_line(error) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 400 else text[:397] + "..."
