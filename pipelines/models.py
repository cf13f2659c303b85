"""The SQL models: SELECT-only files under `sql/` built into the `reporting` schema.

Models are written in DuckDB's dialect. A reference to `xero.<table>` reads the raw schema
(the dataset), through the columns declared in `sql/raw_columns.yml`; an unqualified name
is another model; `run_parameters` is a one-row relation holding `as_of_date`. The runner
finds each model's inputs from those references, orders the models, transpiles them for the
engine with sqlglot and replaces each table in its own transaction.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import sqlglot
import yaml
from sqlglot import exp

import pipelines
from pipelines.destination import Destination, parse_destination
from pipelines.errors import ConfigurationError, XeroWarehouseError

logger = logging.getLogger(__name__)

LAYERS = ("staging", "intermediate", "marts")
REPORTING_SCHEMA = "reporting"
RAW_SCHEMA = "xero"  # how models spell the raw schema; replaced by the dataset name
PARAMETERS_RELATION = "run_parameters"
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
DATASET_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class ModelError(XeroWarehouseError):
    """A model could not be read or built; the message names the model."""


@dataclass(frozen=True)
class Model:
    name: str
    path: Path
    layer: str
    sql: str
    raw_tables: tuple[str, ...]  # raw tables read, without the schema
    models: tuple[str, ...]  # upstream models

    @property
    def depends_on(self) -> tuple[str, ...]:
        """Raw tables as `xero.<table>` followed by upstream model names."""
        return tuple(f"{RAW_SCHEMA}.{table}" for table in self.raw_tables) + self.models


@dataclass(frozen=True)
class ModelResult:
    name: str
    layer: str
    rows: int
    seconds: float


def sql_dir() -> Path:
    """The installed `sql/` folder (next to the `pipelines` package), never the cwd."""
    return Path(pipelines.__file__).resolve().parent.parent / "sql"


def raw_columns(root: Path | None = None) -> dict[str, dict[str, str]]:
    """Declared raw columns: {table: {column: duckdb type}}."""
    return _raw_columns(root or sql_dir())


@cache
def _raw_columns(root: Path) -> dict[str, dict[str, str]]:
    declared = yaml.safe_load((root / "raw_columns.yml").read_text()) or {}
    return {table: dict(columns) for table, columns in declared.items()}


def discover_models(root: Path | None = None) -> list[Model]:
    """Every model under sql/<layer>/, in dependency order."""
    root = root or sql_dir()
    declared = raw_columns(root)
    found: dict[str, Model] = {}
    for layer in LAYERS:
        for path in sorted((root / layer).glob("*.sql")):
            model = _read_model(path, layer, declared)
            if model.name in found:
                raise ModelError(f"model {model.name} is defined twice: {found[model.name].path}")
            found[model.name] = model
    for model in found.values():
        missing = [name for name in model.models if name not in found]
        if missing:
            raise ModelError(f"model {model.name} reads unknown table(s): {', '.join(missing)}")
    graph = {name: set(model.models) for name, model in found.items()}
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        raise ModelError(f"models depend on each other in a cycle: {exc.args[1]}") from None
    rank = {name: (LAYERS.index(found[name].layer), index) for index, name in enumerate(order)}
    return [found[name] for name in sorted(found, key=rank.__getitem__)]


def _read_model(path: Path, layer: str, declared: dict[str, dict[str, str]]) -> Model:
    name = path.stem
    if not NAME_PATTERN.match(name):
        raise ModelError(f"model file {path.name}: use lowercase letters, digits and _")
    sql = path.read_text()
    tree = _parse(name, sql)
    raw_tables, models = set(), set()
    for table, kind in _table_references(tree):
        if kind == "raw":
            if table.name not in declared:
                raise ModelError(
                    f"model {name} reads {RAW_SCHEMA}.{table.name}, "
                    "which sql/raw_columns.yml does not declare"
                )
            raw_tables.add(table.name)
        elif kind == "model":
            models.add(table.name)
        elif kind == "unknown":
            raise ModelError(
                f"model {name} reads {table.sql()}: only {RAW_SCHEMA}.<table> "
                "and model names are allowed"
            )
    return Model(name, path, layer, sql, tuple(sorted(raw_tables)), tuple(sorted(models)))


def _parse(name: str, sql: str) -> exp.Query:
    try:
        statements = [s for s in sqlglot.parse(sql, read="duckdb") if s is not None]
    except sqlglot.errors.ParseError as exc:
        raise ModelError(f"model {name} does not parse: {_one_line(exc)}") from None
    if len(statements) != 1 or not isinstance(statements[0], exp.Query):
        raise ModelError(f"model {name} must be exactly one SELECT statement")
    return statements[0]


def _table_references(tree: exp.Expression):
    """Yield (table, kind) for each table reference: raw, model, parameters, cte, unknown."""
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    for table in tree.find_all(exp.Table):
        if table.catalog or (table.db and table.db != RAW_SCHEMA):
            yield table, "unknown"
        elif table.db == RAW_SCHEMA:
            yield table, "raw"
        elif table.name in ctes:
            yield table, "cte"
        elif table.name == PARAMETERS_RELATION:
            yield table, "parameters"
        else:
            yield table, "model"


def render_model(
    model: Model,
    engine: str,
    dataset: str,
    as_of: date,
    present: dict[str, set[str]],
    root: Path | None = None,
) -> str:
    """The model's SELECT for `engine` ("duckdb" or "postgres"), reading `dataset`.

    `present` maps each raw table that exists to its columns; declared columns absent from
    it read as typed nulls."""
    declared = raw_columns(root)
    tree = _parse(model.name, model.sql)
    kinds = {id(table): kind for table, kind in _table_references(tree)}

    def replace(node: exp.Expression) -> exp.Expression:
        kind = kinds.get(id(node))
        if kind == "raw":
            select = _raw_select(dataset, node.name, declared[node.name], present.get(node.name))
            return exp.Subquery(this=select, alias=exp.TableAlias(this=_ident(node.alias_or_name)))
        if kind == "parameters":
            return exp.Subquery(
                this=exp.select(
                    exp.cast(exp.Literal.string(as_of.isoformat()), "date").as_("as_of_date")
                ),
                alias=exp.TableAlias(this=_ident(node.alias_or_name)),
            )
        if kind == "model":
            alias = node.alias_or_name
            return exp.Table(
                this=_ident(node.name),
                db=_ident(REPORTING_SCHEMA),
                alias=exp.TableAlias(this=_ident(alias)),
            )
        return node

    return tree.transform(replace, copy=False).sql(dialect=engine)


def _raw_select(
    dataset: str, table: str, columns: dict[str, str], present: set[str] | None
) -> exp.Select:
    projections = []
    for column, type_ in columns.items():
        value = exp.column(column, quoted=True) if present and column in present else exp.null()
        projections.append(
            exp.cast(value, exp.DataType.build(type_, dialect="duckdb")).as_(column, quoted=True)
        )
    select = exp.select(*projections)
    if present is None:
        return select.where(exp.false())
    return select.from_(exp.Table(this=_ident(table), db=_ident(dataset)))


def _ident(name: str) -> exp.Identifier:
    return exp.Identifier(this=name, quoted=True)


def run_models(
    destination: str | None = None,
    dataset: str = "xero",
    as_of: date | None = None,
    models: list[str] | None = None,
) -> list[ModelResult]:
    """Build the models (all, or the named ones in dependency order) into `reporting`.

    Each table is replaced in one transaction; the first failing model stops the run with
    a ModelError naming it. `as_of` defaults to today (UTC)."""
    if not DATASET_PATTERN.match(dataset):
        raise ConfigurationError(f"bad dataset name {dataset!r}: use letters, digits and _")
    as_of = _as_of_date(as_of)
    selected = _select(discover_models(), models)
    target = (
        parse_destination(destination) if not isinstance(destination, Destination) else destination
    )
    connection = _connect(target)
    try:
        return _build_all(connection, target.kind, selected, dataset, as_of)
    finally:
        connection.close()


def _as_of_date(as_of: date | None) -> date:
    if as_of is None:
        return datetime.now(UTC).date()
    if isinstance(as_of, datetime):
        return as_of.date()
    if not isinstance(as_of, date):
        raise ConfigurationError(f"as_of must be a date, not {type(as_of).__name__}")
    return as_of


def _connect(target: Destination):
    try:
        return target.connect()
    except XeroWarehouseError:
        raise
    except Exception as exc:  # e.g. a DuckDB file locked by another writer
        raise ConfigurationError(f"cannot open {target.display}: {_one_line(exc)}") from None


def _select(all_models: list[Model], names: list[str] | None) -> list[Model]:
    if names is None:
        return all_models
    unknown = set(names) - {model.name for model in all_models}
    if unknown:
        raise ConfigurationError(f"unknown model(s): {', '.join(sorted(unknown))}")
    return [model for model in all_models if model.name in names]


def _build_all(connection, engine, selected, dataset, as_of) -> list[ModelResult]:
    _execute_in_transaction(
        connection, engine, [f'create schema if not exists "{REPORTING_SCHEMA}"']
    )
    present = _present_columns(connection, engine, dataset)
    for table in sorted({t for model in selected for t in model.raw_tables} - set(present)):
        logger.info("raw table %s.%s is not loaded: models read it as empty", dataset, table)
    results = []
    for model in selected:
        select = render_model(model, engine, dataset, as_of, present)
        target = f'"{REPORTING_SCHEMA}"."{model.name}"'
        started = time.monotonic()
        try:
            _execute_in_transaction(
                connection,
                engine,
                [
                    f"drop table if exists {target}",
                    f"create table {target} as {select}",
                ],
            )
            rows = _fetch_one(connection, engine, f"select count(*) from {target}")
        except Exception as exc:  # the engine's own error, shown in one line
            raise ModelError(f"model {model.name} failed: {_one_line(exc)}") from exc
        logger.info("built %s.%s (%d rows)", REPORTING_SCHEMA, model.name, rows)
        results.append(ModelResult(model.name, model.layer, rows, time.monotonic() - started))
    return results


def _execute_in_transaction(connection, engine: str, statements: list[str]) -> None:
    cursor = connection.cursor()
    try:
        if engine == "duckdb":
            cursor.execute("begin transaction")
        for statement in statements:
            cursor.execute(statement)
        connection.commit() if engine == "postgres" else cursor.execute("commit")
    except Exception:
        try:
            connection.rollback() if engine == "postgres" else cursor.execute("rollback")
        except Exception:  # the original error is the one worth reporting
            logger.debug("rollback failed", exc_info=True)
        raise
    finally:
        cursor.close()


def _fetch_one(connection, engine: str, sql: str, params: tuple = ()):
    cursor = connection.cursor()
    try:
        cursor.execute(sql, params) if params else cursor.execute(sql)
        value = cursor.fetchone()[0]
        if engine == "postgres":
            connection.commit()
        return value
    finally:
        cursor.close()


def _present_columns(connection, engine: str, dataset: str) -> dict[str, set[str]]:
    """{raw table: its columns} for the tables that exist in the raw schema."""
    placeholder = "?" if engine == "duckdb" else "%s"
    cursor = connection.cursor()
    try:
        cursor.execute(
            "select table_name, column_name from information_schema.columns "
            f"where table_schema = {placeholder}",
            (dataset,),
        )
        present: dict[str, set[str]] = {}
        for table, column in cursor.fetchall():
            present.setdefault(table, set()).add(column)
        if engine == "postgres":
            connection.commit()
        return present
    finally:
        cursor.close()


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 400 else text[:397] + "..."


def models_command(args) -> int:
    as_of = _parse_as_of(args.as_of) if getattr(args, "as_of", None) else None
    results = run_models(args.destination, getattr(args, "dataset", "xero") or "xero", as_of)
    shown = as_of or datetime.now(UTC).date()
    print(f"built {len(results)} models in schema {REPORTING_SCHEMA} as of {shown.isoformat()}")
    for result in results:
        print(f"  {REPORTING_SCHEMA}.{result.name}: {result.rows} rows")
    return 0


def _parse_as_of(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ConfigurationError(f"bad --as-of {text!r}: use YYYY-MM-DD") from None
