"""Load one landing CSV into its raw table: validate every row in SQL, reject bad rows with a
reason, upsert the good ones by key.

The whole file is read as text by DuckDB (fast at millions of rows); each contract rule of
`orchestration.landing.contract` becomes one SQL predicate, so a row breaking any rule goes to
`raw.load_rejects` (file, line, column, reason) and the rest of the file loads. An older valid
version of a key is only replaced by a newer valid one: by `updated_at`, then file name order.
"""

from __future__ import annotations

import zoneinfo
from datetime import date

import duckdb

from orchestration.landing.contract import Column, TableSpec
from orchestration.raw.files import FileOutcome, LandingFile, utcnow
from orchestration.raw.schema import LINEAGE_COLUMNS, SQL_TYPES, stored_columns

DATE_RE = r"\d{4}-\d{2}-\d{2}"
TS_RE = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|z|[+-]\d{2}(:?\d{2})?)?"
MONEY_RE = r"-?(\d+(\.\d{1,2})?|\.\d{1,2})"
NUMBER_RE = r"-?(\d+(\.\d+)?|\.\d+)"


def _q(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _rules(col: Column, v: str, today: date) -> list[tuple[str, str]]:
    """(SQL predicate that is TRUE for a bad non-empty value, reason) for one column."""
    t = col.type
    rules: list[tuple[str, str]] = []
    if t == "date":
        rules.append((f"NOT (regexp_full_match({v}, '{DATE_RE}') AND try_cast({v} AS DATE) IS NOT NULL)",
                      "invalid date (expected YYYY-MM-DD)"))
        if col.not_future:
            rules.append((f"try_cast({v} AS DATE) > DATE '{today.isoformat()}'", "date in the future"))
    elif t in ("timestamp", "datetime"):
        # a plain date is accepted too (local midnight): real exports often drop the time
        rules.append((f"NOT ((regexp_full_match({v}, '{TS_RE}') OR regexp_full_match({v}, '{DATE_RE}')) "
                      f"AND try_cast({v} AS TIMESTAMPTZ) IS NOT NULL)",
                      "invalid timestamp (expected ISO 8601)"))
    elif t == "money":
        rules.append((f"contains({v}, '$')", "invalid money: currency sign"))
        rules.append((f"NOT contains({v}, '$') AND contains({v}, ',')", "invalid money: thousands separator"))
        rules.append((f"NOT contains({v}, '$') AND NOT contains({v}, ',') AND NOT regexp_full_match({v}, '{MONEY_RE}')",
                      "invalid money (expected decimal dollars, at most 2 decimals)"))
        ok = f"regexp_full_match({v}, '{MONEY_RE}')"
        if col.min_value is not None:
            rules.append((f"{ok} AND try_cast({v} AS DECIMAL(18,2)) < {col.min_value}", "negative amount not allowed"))
        if col.strict_positive:
            rules.append((f"{ok} AND try_cast({v} AS DECIMAL(18,2)) = 0", "amount must be greater than 0"))
    elif t == "int":
        rules.append((f"NOT regexp_full_match({v}, '-?\\d+')", "invalid whole number"))
        if col.min_value is not None:
            rules.append((f"regexp_full_match({v}, '-?\\d+') AND try_cast({v} AS BIGINT) < {col.min_value}",
                          f"must be at least {col.min_value:g}"))
    elif t == "pct":
        rules.append((f"NOT regexp_full_match({v}, '{NUMBER_RE}') OR try_cast({v} AS DOUBLE) < 0 "
                      f"OR try_cast({v} AS DOUBLE) > 100", "invalid percentage (0-100)"))
    elif t == "bool":
        rules.append((f"lower({v}) NOT IN ('true', 'false')", "invalid boolean (expected true or false)"))
    elif t == "enum":
        values = ", ".join(_q(x.lower()) for x in col.values)
        rules.append((f"lower({v}) NOT IN ({values})", "unknown enum value"))
    elif t == "timezone":
        rules.append((f"{v} NOT IN (SELECT name FROM _tz_names)", "unknown time zone (expected an IANA name)"))
    if col.references:
        key = "guarantor_id" if col.references == "guarantors" else "encounter_id"
        rules.append((f"{v} NOT IN (SELECT {key} FROM raw.{col.references} WHERE {key} IS NOT NULL)",
                      f"orphan: unknown {col.references[:-1]}"))
    return rules


def _typed(col: Column, v: str, clinic_tz: str) -> list[tuple[str, str]]:
    """(SQL expression, output name) of the stored value(s) of a validated column."""
    t = col.type
    if t in ("timestamp", "datetime"):
        ts = f"CAST({v} AS TIMESTAMPTZ)"
        out = [(f"timezone('UTC', {ts})", col.name)]
        if col.name != "updated_at":
            out.append((f"CAST(timezone({_q(clinic_tz)}, {ts}) AS DATE)", f"{col.stem}_date"))
        return out
    if t == "enum" and all(x.isupper() for x in col.values):
        return [(f"upper({v})", col.name)]        # e.g. state codes
    if t in ("enum", "bool"):
        return [(f"CAST(lower({v}) AS {SQL_TYPES[t]})", col.name)]
    return [(f"CAST({v} AS {SQL_TYPES[t]})", col.name)]


MAX_VALUE_CHARS = 10_000          # longer values are row errors (no real field is this long)
MAX_LINE_BYTES = 64 * 1024 * 1024  # longer lines make the file unreadable (quarantined)
OVERFLOW = "_fields_past_header"   # catches the fields of a row longer than the header
_READ = ("read_csv(?, columns = {columns}, auto_detect = false, header = true, delim = ',', "
         "quote = '\"', escape = '\"', strict_mode = false, null_padding = true, encoding = 'utf-8', "
         f"comment = '', max_line_size = {MAX_LINE_BYTES}{{extra}})")


def read_header(f: LandingFile) -> list[str]:
    """The header record's column names (RFC 4180, a BOM dropped), made unique the way DuckDB
    would: an empty name becomes `columnN`, a repeated one (any case) gets `_1`, `_2`…;
    [] for an empty file. A header that is not UTF-8 raises UnicodeError with the reason."""
    import csv
    import io

    with f.path.open("rb") as fh:
        raw = fh.read(1 << 20)
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnicodeError("not UTF-8 encoded (a UTF-16 byte order mark)")
    try:
        raw.split(b"\n", 1)[0].decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UnicodeError("not UTF-8 encoded (line: 1)") from None
    head = raw.decode("utf-8-sig", errors="replace")
    try:
        names = next(csv.reader(io.StringIO(head, newline="")), [])
    except csv.Error:
        names = head.splitlines()[0].split(",") if head.strip() else []
    out: list[str] = []
    seen: set[str] = {OVERFLOW, "_line"}     # names the loader adds itself
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
        con.execute(sql + _READ.format(columns=columns, extra=", parallel = false" if serial else ""),
                    [str(f.path)])
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
        return f"not UTF-8 encoded ({where.lower()})" if where else "not UTF-8 encoded"
    if any(ln.startswith("Maximum line size of") for ln in lines):
        return f"a line is longer than {MAX_LINE_BYTES // (1024 * 1024)} MB" + (f" ({where.lower()})" if where else "")
    why = next((ln for ln in lines[1:] if not ln.startswith(("Original Line", "Possible Solution"))
                and "=" not in ln), "")
    return "; ".join(x for x in (lines[0] if lines else type(exc).__name__, why) if x)[:300]


def _ensure_tz_names(con: duckdb.DuckDBPyConnection) -> None:
    if con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = '_tz_names' AND temporary").fetchone()[0]:
        return
    con.execute("CREATE TEMP TABLE _tz_names (name VARCHAR)")
    con.executemany("INSERT INTO _tz_names VALUES (?)", [(z,) for z in sorted(zoneinfo.available_timezones())])


def load_csv(con: duckdb.DuckDBPyConnection, spec: TableSpec, f: LandingFile, clinic_tz: str,
             today: date, serial: bool = False) -> FileOutcome:
    """Validate and upsert one CSV file. The caller holds the transaction and records the ledger."""
    out = FileOutcome(f)
    con.execute(f"SET TimeZone = {_q(clinic_tz)}")
    try:
        header = read_header(f) if f.size else []
    except UnicodeError as exc:
        out.status, out.reason = "quarantined", f"unreadable CSV: {exc}"
        return out
    if not header:
        out.status, out.reason = "quarantined", "empty file: no header row"
        return out
    try:
        _read(con, f, header, serial)
    except duckdb.Error as exc:
        out.status, out.reason = "quarantined", "unreadable CSV: " + _csv_error(exc, f)
        return out
    open_from = _unclosed_quote(con, f, header)
    if open_from:
        out.status = "quarantined"
        out.reason = (f"unreadable CSV: a quoted value opened on record line {open_from} is never closed "
                      "(it would swallow every line after it)")
        return out
    normalized = {h.strip().lower().lstrip("\ufeff"): h for h in header}
    missing = [c for c in spec.required if c not in normalized]
    if missing:
        out.status = "rejected_file"
        out.reason = f"{f.name}: missing required column{'s' if len(missing) > 1 else ''} {', '.join(missing)}"
        return out
    known = {c.name for c in spec.columns}
    out.extra_columns = [h for n, h in normalized.items() if n not in known]
    out.rows_read = con.execute("SELECT count(*) FROM _in").fetchone()[0]

    # every contract rule as a predicate that is TRUE for a bad row; one scan finds the bad
    # rows, then the (few) bad rows are broken down into (line, column, reason)
    _ensure_tz_names(con)
    checks: list[tuple[str, str, str, str]] = []     # (column, predicate, reason, value expr)
    for col in spec.columns:
        if col.name not in normalized:
            continue
        v = f"nullif(trim({_ident(normalized[col.name])}), '')"
        if col.required:
            checks.append((col.name, f"{v} IS NULL", "missing required value", "NULL"))
        checks.append((col.name, f"length({v}) > {MAX_VALUE_CHARS}",
                       f"value too long (more than {MAX_VALUE_CHARS} characters)", "NULL"))
        for predicate, reason in _rules(col, v, today):
            checks.append((col.name, f"{v} IS NOT NULL AND length({v}) <= {MAX_VALUE_CHARS} AND ({predicate})",
                           reason, f"left({v}, 200)"))
    checks.append(("(row)", f"{_ident(OVERFLOW)} IS NOT NULL",
                   f"row has more fields than the header ({len(header)})", "NULL"))
    # one vectorized pass computes every predicate as a boolean column; only the few bad
    # rows are then broken down into (line, column, reason)
    flags = ", ".join(f"coalesce({p}, false) AS _c{i}" for i, (_, p, _, _) in enumerate(checks))
    con.execute(f"CREATE OR REPLACE TEMP TABLE _chk AS SELECT _line, {flags} FROM _in")
    any_bad = " OR ".join(f"_c{i}" for i in range(len(checks)))
    con.execute(f"CREATE OR REPLACE TEMP TABLE _bad AS SELECT _in.* FROM _in JOIN "
                f"(SELECT * FROM _chk WHERE {any_bad}) AS k USING (_line)")
    con.execute("CREATE OR REPLACE TEMP TABLE _rej AS " + " UNION ALL ".join(
        f"SELECT _line, {_q(c)} AS column_name, {_q(r)} AS reason, {val} AS value FROM _bad "
        f"WHERE coalesce({p}, false)" for c, p, r, val in checks))
    now = utcnow()
    con.execute("INSERT INTO raw.load_rejects SELECT ?, ?, ?, _line, column_name, reason, value, ? FROM _rej",
                [f.name, f.sha256, spec.name, now])
    out.rows_rejected = con.execute("SELECT count(DISTINCT _line) FROM _rej").fetchone()[0]

    # typed good rows, latest version per key within the file
    exprs = []
    for name, sql_type, col in stored_columns(spec):
        if col is None:
            continue  # derived, produced with its instant column
        if col.name in normalized:
            exprs += [f"{e} AS {n}" for e, n in _typed(col, f"nullif(trim({_ident(normalized[col.name])}), '')", clinic_tz)]
        else:
            exprs.append(f"CAST(NULL AS {sql_type}) AS {name}")
            if col.is_instant and col.name != "updated_at":
                exprs.append(f"CAST(NULL AS DATE) AS {col.stem}_date")
    exprs += [f"{_q(f.name)} AS _file_name", f"{_q(f.sha256)} AS _file_sha256", "_line",
              f"TIMESTAMP '{now.isoformat(sep=' ')}' AS _loaded_at"]
    key = spec.key
    con.execute(f"CREATE OR REPLACE TEMP TABLE _new AS SELECT {', '.join(exprs)} FROM _in "
                f"WHERE _line NOT IN (SELECT _line FROM _bad)")
    rows, keys = con.execute(f"SELECT count(*), count(DISTINCT {key}) FROM _new").fetchone()
    if rows != keys:   # a key repeats within the file: its latest version stands for the file
        con.execute(f"CREATE OR REPLACE TEMP TABLE _new AS SELECT * FROM _new QUALIFY row_number() OVER "
                    f"(PARTITION BY {key} ORDER BY updated_at DESC NULLS LAST, _line DESC) = 1")
    cols = [n for n, _, _ in stored_columns(spec)] + [n for n, _ in LINEAGE_COLUMNS]
    if con.execute(f"SELECT count(*) FROM raw.{spec.name}").fetchone()[0] == 0:
        con.execute(f"INSERT INTO raw.{spec.name} ({', '.join(cols)}) SELECT {', '.join(cols)} FROM _new")
    else:
        # a newer version wins: later updated_at, else (equal or unknown) the later file name
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE _win AS
            SELECT n.* FROM _new n LEFT JOIN raw.{spec.name} o ON o.{key} = n.{key}
            WHERE o.{key} IS NULL
               OR (n.updated_at IS NOT NULL AND o.updated_at IS NOT NULL AND n.updated_at > o.updated_at)
               OR ((n.updated_at IS NULL OR o.updated_at IS NULL OR n.updated_at = o.updated_at)
                   AND n._file_name >= o._file_name)""")
        con.execute(f"DELETE FROM raw.{spec.name} WHERE {key} IN (SELECT {key} FROM _win)")
        con.execute(f"INSERT INTO raw.{spec.name} ({', '.join(cols)}) SELECT {', '.join(cols)} FROM _win")
    out.rows_loaded = out.rows_read - out.rows_rejected
    for t in ("_in", "_chk", "_bad", "_rej", "_new", "_win"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
    return out
