"""Raw gates that remember (docs/user-guide.md, "When a gate fails"): a Great Expectations
suite that failed on a landing file stays failed on later runs until a corrected file arrives
or a person releases it, and every failure names the files and lines that broke it.

`raw.gate_failures` holds one open row per (check, file version) that failed. A raw check
validates the rows of the files this run loaded *and* of every file with an open failure, so a
re-run that loads nothing new fails again instead of letting the bad rows flow on. A failure
closes when:
- the file's rows now pass: a corrected CSV (same keys, later `updated_at`) replaced them;
- a corrected 835 or events file arrived under the same name (their rows are kept per file,
  so the new version replaces the rows of the version that failed: the ingest step does it,
  `orchestration/raw/ingest.py`);
- a person released it: `python -m orchestration.release <file>` (`release`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import duckdb

from orchestration.raw.files import LOADED_STATUSES, utcnow

# raw table -> (file SHA-256 column, position column, what a position is, offset); a file's
# name comes from the file ledger (scope)
LOCATORS = {
    "remittance_claims": ("file_sha256", "claim_index", "claim", 1),
    "sendgrid_events": ("_file_sha256", "_line", "event", 0),
}
CSV_LOCATOR = ("_file_sha256", "_line", "line", 0)
RELEASE_COMMAND = "python -m orchestration.release"
MAX_LINES = 10  # positions listed per file and expectation


def locator(table: str) -> tuple[str, str, str, int]:
    return LOCATORS.get(table, CSV_LOCATOR)


def scope(con: duckdb.DuckDBPyConnection, check_name: str, run_id: str) -> list[tuple[str, str]]:
    """(file SHA-256, file name) of what a raw check validates: the files this run loaded and
    every file with an open failure of this check."""
    return con.execute(
        f"""
        SELECT file_sha256, file_name FROM raw.file_ledger
        WHERE load_run_id = ? AND status IN {LOADED_STATUSES}
        UNION
        SELECT file_sha256, file_name FROM raw.gate_failures WHERE check_name = ? AND resolved_at IS NULL
        ORDER BY 2""",
        [run_id, check_name],
    ).fetchall()


@dataclass
class FileFailures:
    """What failed in one file: "<positions>: <what>" per failed expectation."""

    file_name: str
    file_sha256: str
    problems: list[str] = field(default_factory=list)

    @property
    def detail(self) -> str:
        return "; ".join(self.problems)


def failing_mask(df, exp: dict):
    """The rows of `df` one expectation finds wrong (a pandas boolean Series), or None when the
    expectation is not about single rows (then every file in scope is named)."""
    import pandas as pd

    kw = exp.get("kwargs", {})
    etype = exp["type"]
    cond = kw.get("row_condition")
    frame = df
    if cond:
        try:
            frame = df.query(cond)
        except Exception:  # noqa: BLE001 -- an unusual condition: name the files, not lines
            return None
    col = kw.get("column")
    if col is not None and col not in frame.columns:
        return None
    x = frame[col] if col is not None else None
    if etype == "expect_column_values_to_not_be_null":
        bad = x.isna()
    elif etype == "expect_column_values_to_be_null":
        bad = x.notna()
    elif etype == "expect_column_values_to_be_in_set":
        bad = x.notna() & ~x.isin(kw.get("value_set") or [])
    elif etype == "expect_column_values_to_not_be_in_set":
        bad = x.notna() & x.isin(kw.get("value_set") or [])
    elif etype == "expect_column_values_to_be_unique":
        bad = x.notna() & x.duplicated(keep=False)
    elif etype in ("expect_column_values_to_match_regex", "expect_column_values_to_not_match_regex"):
        hit = x.astype("string").str.contains(re.compile(kw.get("regex", "")), na=False)
        bad = x.notna() & (~hit if etype.endswith("to_match_regex") else hit)
    elif etype == "expect_column_values_to_be_between":
        bad = pd.Series(False, index=frame.index)
        lo, hi = kw.get("min_value"), kw.get("max_value")
        try:
            if lo is not None:
                lo = pd.Timestamp(lo) if isinstance(lo, str) else lo
                bad |= (x <= lo) if kw.get("strict_min") else (x < lo)
            if hi is not None:
                hi = pd.Timestamp(hi) if isinstance(hi, str) else hi
                bad |= (x >= hi) if kw.get("strict_max") else (x > hi)
        except TypeError:
            return None
        bad &= x.notna()
    elif etype == "expect_column_pair_values_a_to_be_greater_than_b":
        a, b = frame.get(kw.get("column_A")), frame.get(kw.get("column_B"))
        if a is None or b is None:
            return None
        try:
            ok = (a >= b) if kw.get("or_equal") else (a > b)
        except TypeError:
            return None
        bad = a.notna() & b.notna() & ~ok
    else:
        return None
    return bad.reindex(df.index, fill_value=False)


def attribute(df, suite: dict, result, scope_files: list[tuple[str, str]], table: str) -> list[FileFailures]:
    """The files (and their lines, claims or events) behind every failed critical expectation.

    `df` holds the validated rows of the files in `scope_files`, with the table's file SHA-256
    column and `_gate_pos` (the position of each row in its file); a file's name comes from
    `scope_files`. An expectation about the whole frame (or a type not known here) names every
    file in scope."""
    sha_col, _, unit, offset = locator(table)
    by_sha = {sha: FileFailures(name, sha) for sha, name in scope_files}
    for exp, outcome in zip(suite["expectations"], result.outcomes, strict=True):
        if outcome.success or outcome.severity != "critical":
            continue
        what = f"{outcome.expectation.removeprefix('expect_')} on {outcome.column or 'the table'}: {outcome.detail}"
        mask = failing_mask(df, exp) if len(df) else None
        if mask is None or not mask.any():
            for ff in by_sha.values():
                ff.problems.append(what)
            continue
        bad = df[mask]
        for sha, rows in bad.groupby(sha_col, sort=True):
            positions = sorted(int(p) + offset for p in rows["_gate_pos"].dropna())
            shown = ", ".join(str(p) for p in positions[:MAX_LINES])
            more = f" (+{len(positions) - MAX_LINES} more)" if len(positions) > MAX_LINES else ""
            label = f"{unit}{'s' if len(positions) != 1 else ''} {shown}{more}" if positions else "rows"
            by_sha[sha].problems.append(f"{label}: {what}")  # the rows were read by these files
    return [ff for ff in by_sha.values() if ff.problems]


def record(
    con: duckdb.DuckDBPyConnection,
    check_name: str,
    table: str,
    run_id: str,
    failed: list[FileFailures],
    scope_files: list[tuple[str, str]],
) -> None:
    """Open (or refresh) a failure for every failing file; close the open failures of the files
    in scope that passed this time."""
    now = utcnow()
    failing = {ff.file_sha256 for ff in failed}
    for ff in failed:
        updated = con.execute(
            "UPDATE raw.gate_failures SET last_failed_at = ?, last_run_id = ?, detail = ? "
            "WHERE check_name = ? AND file_sha256 = ? AND resolved_at IS NULL RETURNING 1",
            [now, run_id, ff.detail, check_name, ff.file_sha256],
        ).fetchall()
        if not updated:
            con.execute(
                "INSERT INTO raw.gate_failures VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL)",
                [check_name, table, ff.file_name, ff.file_sha256, ff.detail, now, run_id, now, run_id],
            )
    passed = [sha for sha, _ in scope_files if sha not in failing]
    if passed:
        con.execute(
            "UPDATE raw.gate_failures SET resolved_at = ?, resolution = ? "
            "WHERE check_name = ? AND resolved_at IS NULL AND list_contains(?, file_sha256)",
            [
                now,
                f"passed on run {run_id}: the file's rows now pass (a corrected file replaced them)",
                check_name,
                passed,
            ],
        )


def open_failures(con: duckdb.DuckDBPyConnection, file_name: str | None = None) -> list[tuple]:
    """(check, file name, detail, first failed at, last failed at) of the open failures."""
    return con.execute(
        "SELECT check_name, file_name, detail, first_failed_at, last_failed_at FROM raw.gate_failures "
        "WHERE resolved_at IS NULL AND (? IS NULL OR file_name = ?) ORDER BY file_name, check_name",
        [file_name, file_name],
    ).fetchall()


def release(con: duckdb.DuckDBPyConnection, file_name: str, by: str, why: str, check_name: str | None = None) -> int:
    """A person accepts a failed file as it is: its open failures close and later runs stop
    checking it. Returns how many failures were released."""
    rows = con.execute(
        "UPDATE raw.gate_failures SET resolved_at = ?, resolution = ?, released_by = ? "
        "WHERE resolved_at IS NULL AND file_name = ? AND (? IS NULL OR check_name = ?) RETURNING 1",
        [utcnow(), f"released: {why}", by, file_name, check_name, check_name],
    ).fetchall()
    return len(rows)


def fix_text(failed: list[FileFailures], table: str) -> str:
    """What to do, for the check's description and the run summary."""
    names = ", ".join(sorted({ff.file_name for ff in failed}))
    how = (
        "send a corrected file (the same keys with a later updated_at replace these rows)"
        if table not in LOCATORS
        else "send a corrected file under the same name (it replaces this one)"
    )
    return f"to fix: {how}, or accept the file as it is: {RELEASE_COMMAND} <file> (files: {names})"
