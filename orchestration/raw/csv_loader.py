"""Load one landing CSV into its raw table: validate every row in SQL, reject bad rows with a
reason, upsert the good ones by key (docs/landing.md, "General rules for every CSV").

The whole file is read as text by DuckDB (fast at millions of rows), then typed in one pass: one
`CREATE TABLE … AS` computes each row's stored values and its reject mask (every contract rule
of `orchestration/raw/checked_casts.py`, each cast and regex evaluated once per value). A row
breaking any rule -- a wrong type, a value the warehouse type cannot hold, a control character,
an `updated_at` in the future -- goes to `raw.load_rejects` (file, line, column, reason: the
rules are broken down one by one on the rejected rows only) and the rest of the file loads.

Before any row is read the file as a whole is checked: a format the contract does not take
(gzip, zip, TSV, an Excel `sep=` line, JSON…; `orchestration/raw/sniff.py`) is quarantined with
what it looks like, and a header that names a column twice (`phone,phone`, ` Last_Name ` beside
`last_name`) rejects the file naming the columns.

Upsert: an older valid version of a key is only replaced by a newer valid one (by `updated_at`,
then file name order), and only in the columns the file carries: a column absent from a file
keeps its stored value (a partial-column delta), while a column present but empty clears it.
"""

from __future__ import annotations

import csv
import io

import duckdb

from orchestration.landing.contract import TableSpec
from orchestration.raw import sniff
from orchestration.raw.checked_casts import CastContext, cast, checks, timezone_names, typed, valid
from orchestration.raw.files import FileOutcome, LandingFile, utcnow
from orchestration.raw.schema import LINEAGE_COLUMNS, stored_columns

MAX_LINE_BYTES = 64 * 1024 * 1024  # longer lines make the file unreadable (quarantined)
OVERFLOW = "_fields_past_header"  # catches the fields of a row longer than the header
DOS_EOF = "\x1a"  # ^Z: old DOS exports end the file with it
_READ = (
    "read_csv(?, columns = {columns}, auto_detect = false, header = true, delim = ',', "
    "quote = '\"', escape = '\"', strict_mode = false, null_padding = true, encoding = 'utf-8', "
    f"comment = '', max_line_size = {MAX_LINE_BYTES}{{extra}})"
)


def _q(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def read_header(f: LandingFile, head: bytes | None = None) -> list[str]:
    """The header record's column names as written (RFC 4180, a BOM dropped); [] for an empty
    file. A header that is not UTF-8 raises UnicodeError with the reason."""
    if head is None:
        with f.path.open("rb") as fh:
            head = fh.read(1 << 20)
    try:
        head.split(b"\n", 1)[0].decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UnicodeError("not UTF-8 encoded (line: 1)" + sniff.latin1_hint(head)) from None
    text = head.decode("utf-8-sig", errors="replace")
    try:
        return next(csv.reader(io.StringIO(text, newline="")), [])
    except csv.Error:
        return text.splitlines()[0].split(",") if text.strip() else []


def normalized_name(name: str) -> str:
    """A header name as the contract matches it: any case, spaces around it, a BOM dropped."""
    return name.strip().lstrip("\ufeff").strip().lower()


def duplicate_columns(names: list[str]) -> str | None:
    """ "phone is named by columns 6 and 7 ('phone', 'phone')" for every name the header gives
    more than once (in any case or spacing: ' Last_Name ' beside 'last_name' is ambiguous),
    else None. Empty names are unnamed extra columns, not duplicates."""
    where: dict[str, list[int]] = {}
    for i, name in enumerate(names, 1):
        if normalized_name(name):
            where.setdefault(normalized_name(name), []).append(i)
    dups = [(n, cols) for n, cols in where.items() if len(cols) > 1]
    if not dups:
        return None
    return "; ".join(
        f"{n} is named by columns {' and '.join(str(c) for c in cols)} ({', '.join(repr(names[c - 1]) for c in cols)})"
        for n, cols in dups
    )


def unique_names(names: list[str]) -> list[str]:
    """The column names given to DuckDB: an empty name becomes `columnN`, and a name that would
    clash with another (or with the loader's own `_line`, OVERFLOW) gets `_1`, `_2`…"""
    out: list[str] = []
    seen: set[str] = {OVERFLOW.lower(), "_line"}
    for i, name in enumerate(names):
        name = name or f"column{i}"
        base, n = name, 0
        while name.lower() in seen:
            n += 1
            name = f"{base}_{n}"
        seen.add(name.lower())
        out.append(name)
    return out


def _read(con: duckdb.DuckDBPyConnection, f: LandingFile, header: list[str], serial: bool = False) -> None:
    """The file as text columns in temp table `_in`, with `_line` = record number + 1.

    The columns are the header's, given to DuckDB (no sniffing: no guessed dialect, comment
    character or skipped lines), plus OVERFLOW: a row with more fields than the header fills
    it and is rejected, instead of its extra fields being dropped without a word. A short row
    is padded with empty values.

    DuckDB's parallel reader cannot combine null padding with a newline inside a quoted value
    (legal RFC 4180, e.g. a two-line address): such a file is read again serially
    (`SerialReadNeeded`).
    """
    columns = "{" + ", ".join(f"{_q(c)}: 'VARCHAR'" for c in [*header, OVERFLOW]) + "}"
    sql = "CREATE OR REPLACE TEMP TABLE _in AS SELECT row_number() OVER () + 1 AS _line, * FROM "
    try:
        con.execute(sql + _READ.format(columns=columns, extra=", parallel = false" if serial else ""), [str(f.path)])
    except duckdb.Error as exc:
        if "quoted new lines" in str(exc) and not serial:
            raise SerialReadNeeded(f.name) from exc
        raise


def _unclosed_quote(con: duckdb.DuckDBPyConnection, f: LandingFile, header: list[str]) -> int | None:
    """The `_line` of a last record that an unclosed quote ran to the end of the file, else None.

    DuckDB (not strict) reads a quote that is never closed as one value up to the end of the
    file, so the rows after it would vanish inside one bad row. Such a last record holds a
    line break (LF or CR) and the file an odd number of quote characters.
    """
    has_break = " OR ".join(f"regexp_matches(coalesce({_ident(c)}, ''), '[\\r\\n]')" for c in [*header, OVERFLOW])
    last = con.execute(f"SELECT _line, {has_break} FROM _in ORDER BY _line DESC LIMIT 1").fetchone()
    if not last or not last[1]:
        return None
    quotes = 0
    with f.path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 22), b""):
            quotes += chunk.count(b'"')
    return last[0] if quotes % 2 else None


def _drop_dos_eof(con: duckdb.DuckDBPyConnection, f: LandingFile, header: list[str]) -> bool:
    """A ^Z that ends the file (a DOS end-of-file mark, alone on the last line or right after
    the last value) is not data: removed from the last record. True when there was one."""
    with f.path.open("rb") as fh:
        fh.seek(max(f.size - 1, 0))
        if fh.read(1) != DOS_EOF.encode():
            return False
    cols = [*header, OVERFLOW]
    last = con.execute("SELECT max(_line) FROM _in").fetchone()[0]
    if last is None:
        return False
    sets = ", ".join(f"{_ident(c)} = nullif(rtrim({_ident(c)}, chr(26)), '')" for c in cols)
    con.execute(f"UPDATE _in SET {sets} WHERE _line = ?", [last])
    empty = " AND ".join(f"{_ident(c)} IS NULL" for c in cols)
    con.execute(f"DELETE FROM _in WHERE _line = ? AND {empty}", [last])
    return True


# a file's row `n` is newer than the stored row `o` of its key: a later updated_at, else (equal
# or unknown) the later file name
_NEWER = """(
    (n.updated_at IS NOT NULL AND o.updated_at IS NOT NULL AND n.updated_at > o.updated_at)
    OR ((n.updated_at IS NULL OR o.updated_at IS NULL OR n.updated_at = o.updated_at)
        AND n._file_name >= o._file_name))"""


class SerialReadNeeded(Exception):
    """The file needs the serial reader; the failed read aborted the caller's transaction,
    so the caller rolls back and calls `load_csv` again with ``serial=True``."""


def _csv_error(exc: Exception, f: LandingFile | None = None) -> str:
    """DuckDB's CSV error, cut to what a person needs (where, and why), without row content
    or the landing zone's absolute path."""
    text = str(exc)
    if f is not None:
        text = text.replace(str(f.path), f.name)
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    where = next((ln.split("CSV Error on ")[-1] for ln in lines if "CSV Error on" in ln), "")
    if any("not utf-8 encoded" in ln.lower() for ln in lines):
        hint = ""
        if f is not None:
            with f.path.open("rb") as fh:
                hint = sniff.latin1_hint(fh.read(1 << 20))
        return (f"not UTF-8 encoded ({where.lower()})" if where else "not UTF-8 encoded") + hint
    if any(ln.startswith("Maximum line size of") for ln in lines):
        return f"a line is longer than {MAX_LINE_BYTES // (1024 * 1024)} MB" + (f" ({where.lower()})" if where else "")
    why = next(
        (ln for ln in lines[1:] if not ln.startswith(("Original Line", "Possible Solution")) and "=" not in ln), ""
    )
    return "; ".join(x for x in (lines[0] if lines else type(exc).__name__, why) if x)[:300]


def _ensure_tz_names(con: duckdb.DuckDBPyConnection) -> None:
    if con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = '_tz_names' AND temporary").fetchone()[0]:
        return
    con.execute("CREATE TEMP TABLE _tz_names AS SELECT unnest(?::VARCHAR[]) AS name", [timezone_names()])


def _refuse_file(f: LandingFile, spec: TableSpec, head: bytes) -> FileOutcome | None:
    """The whole-file verdicts before any row is read: an empty file, a format the contract
    does not take, a header that is not UTF-8, names a column twice or lacks a required one."""
    out = FileOutcome(f)
    if not f.size:
        out.status, out.reason = "quarantined", "empty file: no header row"
        return out
    looks = sniff.binary_format(head)
    if looks:
        out.status, out.reason = "quarantined", sniff.reason(looks, "csv")
        return out
    try:
        names = read_header(f, head)
    except UnicodeError as exc:
        out.status, out.reason = "quarantined", f"unreadable CSV: {exc}"
        return out
    if not names:
        out.status, out.reason = "quarantined", "empty file: no header row"
        return out
    normalized = {normalized_name(h) for h in names}
    missing = [c for c in spec.required if c not in normalized]
    if missing:
        looks = sniff.csv_format(head, spec.required)
        if looks:
            out.status, out.reason = "quarantined", sniff.reason(looks, "csv")
        else:
            out.status = "rejected_file"
            out.reason = f"{f.name}: missing required column{'s' if len(missing) > 1 else ''} {', '.join(missing)}"
        return out
    dups = duplicate_columns(names)
    if dups:
        out.status = "rejected_file"
        out.reason = f"{f.name}: the header names a column more than once: {dups} (keep one of each)"
        return out
    return None


def _write_rejects(
    con: duckdb.DuckDBPyConnection,
    spec: TableSpec,
    f: LandingFile,
    header: list[str],
    normalized: dict[str, str],
    ctx: CastContext,
    stamp: str,
    bad_rows: int,
) -> None:
    """The rows the mask rejects, one reject per broken rule (`checks`): each rule is evaluated
    on those few rows only. Every rejected row must get at least one reject."""
    rules: list[tuple[str, str, str, str]] = []  # (column, predicate, reason, value expr)
    for col in spec.columns:
        if col.name not in normalized:
            continue
        v = f"nullif(trim({_ident(normalized[col.name])}), '')"
        for predicate, reason in checks(col, v, ctx):
            value = "NULL" if reason.startswith(("missing", "value too long")) else f"left({v}, 200)"
            rules.append((col.name, predicate, reason, value))
    rules.append(
        ("(row)", f"{_ident(OVERFLOW)} IS NOT NULL", f"row has more fields than the header ({len(header)})", "NULL")
    )
    flags = ", ".join(f"coalesce({p}, false) AS __rule_{i}" for i, (_, p, _, _) in enumerate(rules))
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _bad AS SELECT *, {flags} FROM _in "
        "WHERE _line IN (SELECT _line FROM _t WHERE NOT _ok)"
    )
    explained = " OR ".join(f"__rule_{i}" for i in range(len(rules)))
    if con.execute(f"SELECT count(*) FROM _bad WHERE {explained}").fetchone()[0] != bad_rows:
        # the mask (checked_casts.valid) and the rules (checked_casts.checks) disagree: a bug,
        # never a row dropped without a reason (the file is quarantined with the error)
        raise RuntimeError(f"{spec.name}: a rejected row breaks no rule of checked_casts.checks")
    con.execute(
        "INSERT INTO raw.load_rejects "
        + " UNION ALL ".join(
            f"SELECT {_q(f.name)}, {_q(f.sha256)}, {_q(spec.name)}, _line, {_q(c)}, {_q(r)}, {val}, "
            f"{stamp} FROM _bad WHERE __rule_{i}"
            for i, (c, _, r, val) in enumerate(rules)
        )
    )


def load_csv(
    con: duckdb.DuckDBPyConnection, spec: TableSpec, f: LandingFile, ctx: CastContext, serial: bool = False
) -> FileOutcome:
    """Validate and upsert one CSV file. The caller holds the transaction and records the ledger."""
    con.execute(f"SET TimeZone = {_q(ctx.clinic_tz)}")
    with f.path.open("rb") as fh:
        head = fh.read(1 << 20)
    refused = _refuse_file(f, spec, head)
    if refused is not None:
        return refused
    out = FileOutcome(f)
    header = unique_names(read_header(f, head))
    try:
        _read(con, f, header, serial)
    except duckdb.Error as exc:
        out.status, out.reason = "quarantined", "unreadable CSV: " + _csv_error(exc, f)
        return out
    open_from = _unclosed_quote(con, f, header)
    if open_from:
        out.status = "quarantined"
        out.reason = (
            f"unreadable CSV: a quoted value opened on record line {open_from} is never closed "
            "(it would swallow every line after it)"
        )
        return out
    if _drop_dos_eof(con, f, header):
        out.warnings.append("a DOS end-of-file mark (^Z) at the end of the file was ignored")
    normalized = {normalized_name(h): h for h in header}
    known = {c.name for c in spec.columns}
    out.extra_columns = [h for n, h in normalized.items() if n not in known]
    out.rows_read = con.execute("SELECT count(*) FROM _in").fetchone()[0]

    # one pass: each row's typed values and its reject mask (`_ok`: no contract rule broken)
    _ensure_tz_names(con)
    now = utcnow()
    stamp = f"TIMESTAMP '{now.isoformat(sep=' ')}'"
    carried = [c for c in spec.columns if c.name in normalized]
    trimmed = "".join(f", nullif(trim({_ident(normalized[c.name])}), '') AS {_ident(c.name)}" for c in carried)
    # each value's try_cast, computed once and read by both its stored value and the mask
    casts = {c.name: _ident(f"__cast_{c.name}") for c in carried if cast(c, _ident(c.name))}
    cast_cols = "".join(f", {cast(c, _ident(c.name))} AS {casts[c.name]}" for c in carried if c.name in casts)
    exprs = []
    present: set[str] = set()  # stored columns this file carries
    for name, sql_type, col in stored_columns(spec):
        if col is None:
            continue  # derived, produced with its instant column
        if col.name in normalized:
            for e, n in typed(col, _ident(col.name), ctx, casts.get(col.name)):
                exprs.append(f"{e} AS {n}")
                present.add(n)
        else:
            exprs.append(f"CAST(NULL AS {sql_type}) AS {name}")
            if col.is_instant and col.name != "updated_at":
                exprs.append(f"CAST(NULL AS DATE) AS {col.stem}_date")
    mask = " AND ".join(
        [f"{_ident(OVERFLOW)} IS NULL"] + [valid(c, _ident(c.name), ctx, casts.get(c.name)) for c in carried]
    )
    exprs += [
        f"{_q(f.name)} AS _file_name",
        f"{_q(f.sha256)} AS _file_sha256",
        "_line",
        f"{stamp} AS _loaded_at",
        f"{mask} AS _ok",
    ]
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _t AS SELECT {', '.join(exprs)} FROM "
        f"(SELECT *{cast_cols} FROM (SELECT _line, {_ident(OVERFLOW)}{trimmed} FROM _in))"
    )
    out.rows_rejected = con.execute("SELECT count(*) FROM _t WHERE NOT _ok").fetchone()[0]
    if out.rows_rejected:
        _write_rejects(con, spec, f, header, normalized, ctx, stamp, out.rows_rejected)

    # the good rows, latest version per key within the file
    key = spec.key
    new = "(SELECT * FROM _t WHERE _ok)"
    rows, keys = con.execute(f"SELECT count(*), count(DISTINCT {key}) FROM {new}").fetchone()
    if rows != keys:  # a key repeats within the file: its latest version stands for the file
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _new AS SELECT * FROM {new} QUALIFY row_number() OVER "
            f"(PARTITION BY {key} ORDER BY updated_at DESC NULLS LAST, _line DESC) = 1"
        )
        new = "_new"
    cols = [n for n, _, _ in stored_columns(spec)] + [n for n, _ in LINEAGE_COLUMNS]
    names = ", ".join(cols)
    lineage = {n for n, _ in LINEAGE_COLUMNS}
    if con.execute(f"SELECT count(*) FROM raw.{spec.name}").fetchone()[0] == 0:
        con.execute(f"INSERT INTO raw.{spec.name} ({names}) SELECT {names} FROM {new}")
    elif all(c in present or c in lineage for c in cols):
        # the file carries every column: its rows replace their keys' stored rows, but for the
        # keys whose stored version is newer (later updated_at, else a later file name) -- the
        # few that lose are found by one join, the winners are never copied to a temp table
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE _lose AS
            SELECT n.{key} FROM {new} n JOIN raw.{spec.name} o ON o.{key} = n.{key}
            WHERE NOT ({_NEWER})""")
        winners = f"{key} NOT IN (SELECT {key} FROM _lose)"
        con.execute(f"DELETE FROM raw.{spec.name} WHERE {key} IN (SELECT {key} FROM {new} WHERE {winners})")
        con.execute(f"INSERT INTO raw.{spec.name} ({names}) SELECT {names} FROM {new} WHERE {winners}")
    else:
        # a partial-column delta: the winners take the columns this file carries, the others
        # keep their stored values
        pick = ", ".join(f"n.{c}" if c in present or c in lineage else f"o.{c}" for c in cols)
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE _win AS
            SELECT {pick} FROM {new} n LEFT JOIN raw.{spec.name} o ON o.{key} = n.{key}
            WHERE o.{key} IS NULL OR {_NEWER}""")
        con.execute(f"DELETE FROM raw.{spec.name} WHERE {key} IN (SELECT {key} FROM _win)")
        con.execute(f"INSERT INTO raw.{spec.name} ({names}) SELECT {names} FROM _win")
    out.rows_loaded = out.rows_read - out.rows_rejected
    for t in ("_in", "_t", "_bad", "_new", "_lose", "_win"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
    return out
