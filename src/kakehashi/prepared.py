"""Ibis expressions compiled once per shape and run with bound parameters.

Building an Ibis expression and compiling it to SQL is Python work, tens of
milliseconds a query, done under the interpreter lock; the engine's own work
runs in parallel. For questions asked many times with different countries
(the screen of JPN, of IND, ... against CHN, ...), that Python part is the
same every time except for a few string values. So :func:`prepared_frame`
builds the expression once per *shape* with placeholders in place of those
values, compiles it to a SQL template in which each placeholder is a DuckDB
parameter (``$importer0``), keeps the template, and runs it with the request's
values bound as parameters (never pasted into the SQL text).

The expression stays the single source of the analysis: the template is the
same Ibis expression, compiled by Ibis, with string literals that were
placeholders replaced by parameters in the compiled syntax tree (a literal
that was built from several placeholders, such as a bloc's name
``JPN+IND``, becomes their concatenation). An expression that cannot be
templated safely (a placeholder that ended up anywhere but a whole string
literal, an in-memory table or a user-defined function, which live on one
connection) is compiled per request as before. Other engines (Spark) always
compile per request.

The template cache is keyed by the warehouse folder, snapshot, engine, the
caller's shape key and the parameter names; it holds SQL text, never results,
so an answer for one set of values cannot be served for another.

Templates are also kept on disk, one JSON file each, in the user's cache
(:func:`kakehashi.config.query_cache_dir`: ``~/.cache/kakehashi/queries``, or
``KAKEHASHI_QUERY_CACHE``; ``off`` disables it), so that a command in a new
process (the CLI's first screen) does not build and compile the expression
again: about 0.15-0.25 s. A file's name is a hash of the same key and of a
fingerprint of the code that builds and compiles the SQL (kakehashi's
modules, by name, size and modification time, and the versions of Ibis,
sqlglot and DuckDB), so an edited module or an upgraded library never reads
an old template, and a new snapshot has new keys. The cache holds SQL that
the process runs: like the rest of the user's cache, it must be writable by
that user only. A file that cannot be read or written is ignored (the
expression is compiled as without the cache); at most
:data:`DISK_ENTRIES` files are kept.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import threading
import warnings
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import ibis
    import pandas as pd
    import pyarrow as pa

    from kakehashi.warehouse import Warehouse

_OPEN, _CLOSE = "\x02", "\x03"
_PLACEHOLDER = re.compile(_OPEN + r"kakehashi-param:([A-Za-z_][A-Za-z0-9_]*)" + _CLOSE)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

TEMPLATE_ENTRIES = 128
"""Compiled templates kept per process (least recently used dropped first)."""

DISK_ENTRIES = 512
"""Compiled templates kept on disk (the oldest files are removed first)."""


def placeholder(name: str) -> str:
    """The string that stands for parameter ``name`` while a template's expression is built."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"bad parameter name {name!r}")
    return f"{_OPEN}kakehashi-param:{name}{_CLOSE}"


@dataclass(frozen=True)
class Template:
    """A compiled query: SQL with ``$name`` parameters, the names it uses, and its result's Ibis schema.

    Only text and types are kept, not the expression, which would hold its connection open.
    """

    sql: str
    names: tuple[str, ...]
    schema: Any


_TEMPLATES: OrderedDict[Hashable, Template | None] = OrderedDict()
_LOCK = threading.Lock()
# a screen's result is small: the copy DuckDB warns about when a cursor's result is read as Arrow is cheaper
# than the two extra parses and binds of a relation (see _run)
warnings.filterwarnings("ignore", message="Arrow output on a DB-API result", category=UserWarning,
                        module=r"kakehashi\.prepared")
stats = {"compiled": 0, "reused": 0, "plain": 0, "loaded": 0}
"""Counters of this process: templates compiled, runs that reused one, runs compiled per request,
templates read from the disk cache."""


def clear() -> None:
    """Forget every compiled template (tests)."""
    with _LOCK:
        _TEMPLATES.clear()


def _substitute(node: Any) -> Any:
    """A string literal holding placeholders becomes a parameter (or a concatenation with one)."""
    import sqlglot.expressions as sge

    if not (isinstance(node, sge.Literal) and node.is_string and _OPEN in node.this):
        return node
    parts: list[sge.Expression] = []
    pos = 0
    for m in _PLACEHOLDER.finditer(node.this):
        if m.start() > pos:
            parts.append(sge.Literal.string(node.this[pos:m.start()]))
        parts.append(sge.Parameter(this=sge.Var(this=m.group(1))))
        pos = m.end()
    if pos < len(node.this):
        parts.append(sge.Literal.string(node.this[pos:]))
    out = parts[0]
    for p in parts[1:]:
        out = sge.DPipe(this=out, expression=p)
    return out


_MISSING = object()


@cache
def code_fingerprint() -> str:
    """A hash of what the compiled SQL depends on besides its key: kakehashi's modules and the libraries.

    Every module file of the package by relative name, size and modification time (a ``stat`` each,
    about a millisecond in all), and the versions of Ibis, sqlglot and DuckDB.
    """
    from importlib.metadata import PackageNotFoundError, version

    h = hashlib.sha256()
    for lib in ("ibis-framework", "sqlglot", "duckdb"):
        try:
            h.update(f"{lib}={version(lib)};".encode())
        except PackageNotFoundError:
            h.update(f"{lib}=?;".encode())
    root = Path(__file__).resolve().parent
    for path in sorted(root.rglob("*.py")):
        st = path.stat()
        h.update(f"{path.relative_to(root).as_posix()}:{st.st_size}:{st.st_mtime_ns};".encode())
    return h.hexdigest()


def _disk_path(key: Hashable) -> Path | None:
    """The cache file of a template key, or ``None`` (cache off, or a key whose text is not stable)."""
    from kakehashi.config import query_cache_dir

    folder = query_cache_dir()
    text = repr(key)
    if folder is None or " at 0x" in text:  # an object's address differs in every process
        return None
    digest = hashlib.sha256(f"{code_fingerprint()}\n{text}".encode()).hexdigest()
    return folder / f"{digest[:40]}.json"


def _disk_get(key: Hashable) -> Template | object | None:
    """The template stored for ``key`` (``None``: stored as not templatable), else ``_MISSING``."""
    path = _disk_path(key)
    if path is None:
        return _MISSING
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
        if stored.get("key") != repr(key):
            return _MISSING  # a hash collision, however unlikely: compile
        if stored["template"] is None:
            return None
        import ibis

        t = stored["template"]
        schema = ibis.schema({name: ibis.dtype(dtype) for name, dtype in t["schema"]})
        return Template(str(t["sql"]), tuple(str(n) for n in t["names"]), schema)
    except Exception:  # absent, partial or foreign file, a type Ibis cannot parse: compile instead
        return _MISSING


def _disk_put(key: Hashable, tmpl: Template | None) -> None:
    """Store a compiled template for ``key`` (atomically: a reader sees the whole file or none)."""
    path = _disk_path(key)
    if path is None:
        return
    body = {"key": repr(key), "template": None if tmpl is None else {
        "sql": tmpl.sql, "names": list(tmpl.names),
        "schema": [[name, str(dtype)] for name, dtype in tmpl.schema.items()]}}
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(body), encoding="utf-8")
        os.replace(tmp, path)
        files = sorted(path.parent.glob("*.json"), key=lambda p: p.stat().st_mtime_ns)
        for old in files[:-DISK_ENTRIES]:
            old.unlink(missing_ok=True)
    except OSError:  # a cache that cannot be written only costs the next process a compile
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)


def compile_template(con: Any, expr: ibis.Table) -> Template | None:
    """Compile ``expr`` (built with :func:`placeholder` values) into a template, or ``None`` when unsafe."""
    import ibis.expr.operations as ops
    import sqlglot as sg

    if expr.op().find((ops.InMemoryTable, ops.ScalarUDF, ops.AggUDF)):
        return None  # registered on one connection only
    import sqlglot.expressions as sge

    table = expr.as_table()
    tree = con.compiler.to_sqlglot(table).transform(_substitute, copy=False)
    names = tuple(sorted({str(p.name) for p in tree.find_all(sge.Parameter)}))
    sql = tree.sql(dialect=con.dialect, copy=False, unsupported_level=sg.ErrorLevel.RAISE)
    if _OPEN in sql or _CLOSE in sql:
        return None  # a placeholder outside a plain string literal: compile per request
    return Template(sql, names, table.schema())


def prepared_frame(wh: Warehouse, shape: Hashable, build: Callable[[Mapping[str, str]], ibis.Table],
                   values: Mapping[str, str]) -> pd.DataFrame:
    """Run ``build(values)`` on ``wh`` into pandas, compiling its SQL once per shape on DuckDB.

    Parameters
    ----------
    wh
        The warehouse.
    shape
        Everything the expression depends on besides ``values`` (hashable). Two
        calls with the same shape must build the same expression up to ``values``.
    build
        Builds the Ibis expression from the string values (called with
        :func:`placeholder` strings to make the template).
    values
        Parameter name to string value.

    Returns
    -------
    pandas.DataFrame
        The same frame as executing ``build(values)`` through Arrow:
        :func:`prepared_table` converted to pandas.
    """
    df: pd.DataFrame = prepared_table(wh, shape, build, values).to_pandas()
    return df


def prepared_table(wh: Warehouse, shape: Hashable, build: Callable[[Mapping[str, str]], ibis.Table],
                   values: Mapping[str, str]) -> pa.Table:
    """Run ``build(values)`` on ``wh`` into Arrow, compiling its SQL once per shape on DuckDB.

    The parameters are those of :func:`prepared_frame`; the table has the
    expression's schema (as Ibis converts it), before any pandas conversion.
    """
    con = wh.connect()
    if wh.engine != "duckdb":
        return arrow_table(wh, build(values))
    key = (str(wh.path), wh.snapshot_id, wh.engine, shape, tuple(sorted(values)))
    with _LOCK:
        hit = key in _TEMPLATES
        tmpl = _TEMPLATES.get(key)
        if hit:
            _TEMPLATES.move_to_end(key)
    if not hit:
        stored = _disk_get(key)
        if stored is not _MISSING:
            tmpl = stored  # type: ignore[assignment]
            hit = True
            with _LOCK:
                stats["loaded"] += 1
        else:
            try:
                tmpl = compile_template(con, build({n: placeholder(n) for n in values}))
            except Exception:  # a template only saves time: whatever fails here, run the request as before
                with _LOCK:
                    stats["plain"] += 1
                return arrow_table(wh, build(values))
            _disk_put(key, tmpl)
        with _LOCK:
            _TEMPLATES[key] = tmpl
            while len(_TEMPLATES) > TEMPLATE_ENTRIES:
                _TEMPLATES.popitem(last=False)
    plain = tmpl is None or any(n not in values for n in tmpl.names)
    with _LOCK:
        stats["plain" if plain else "reused" if hit else "compiled"] += 1
    if tmpl is None or plain:
        return arrow_table(wh, build(values))
    return _run(wh, con, tmpl, {n: str(values[n]) for n in tmpl.names})


def _run(wh: Warehouse, con: Any, tmpl: Template, params: dict[str, str]) -> pa.Table:
    """Run a template with its parameters through DuckDB's cursor interface, into Arrow.

    ``execute`` parses, binds and runs the statement once; a relation
    (``con.sql(...)``) would parse and bind it twice more before running it,
    about 5 ms of Python and DuckDB work per call on a screen's query.
    """
    from ibis.backends.duckdb.converter import DuckDBPyArrowData

    raw = con.con
    try:
        cursor = raw.execute(tmpl.sql, params)
        # the connection's Arrow fetch: to_arrow_table (DuckDB 2), fetch_arrow_table (DuckDB 1.x)
        fetch = getattr(cursor, "to_arrow_table", None) or cursor.fetch_arrow_table
        table: pa.Table = fetch()
    except Exception as exc:  # duckdb raises many unrelated classes, as in Warehouse.execute
        _abort(raw)
        raise wh.engine_error(exc) from exc
    out: pa.Table = DuckDBPyArrowData.convert_table(table, tmpl.schema)
    return out


def _abort(raw: Any) -> None:
    """Drop a result ``execute`` left pending on the connection, so that its next query can run."""
    abort = getattr(raw, "abort", None)
    if abort is None:
        return
    try:
        abort()
    except Exception:  # nothing pending (the statement failed before it ran): nothing to drop
        pass


def arrow_table(wh: Warehouse, expr: ibis.Expr) -> pa.Table:
    """Execute ``expr`` into Arrow (compiled per call, any engine)."""
    try:
        table: pa.Table = wh.connect().to_pyarrow(expr)
    except Exception as exc:  # engines raise many unrelated classes, as in Warehouse.execute
        raise wh.engine_error(exc) from exc
    return table


def arrow_frame(wh: Warehouse, expr: ibis.Expr) -> pd.DataFrame:
    """Execute ``expr`` through Arrow into pandas (compiled per call, any engine).

    Same result as :meth:`Warehouse.execute`, but Arrow's own conversion is
    several times faster than Ibis's pandas conversion on large results.
    """
    df: pd.DataFrame = arrow_table(wh, expr).to_pandas()
    return df
