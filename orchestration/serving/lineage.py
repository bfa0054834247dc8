"""Lineage metadata in one place: what the Dagster UI shows on an asset for a finance lead —
its row count and, for tables without direct identifiers only, a small preview.

Never preview a table that holds names, phones, emails, addresses or per-person amounts:
asset metadata is stored in the event log and shown to everyone with UI access.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb

PREVIEW_ROWS = 5


def markdown_table(columns: list[str], rows: list[tuple]) -> str:
    def cell(v) -> str:
        return "" if v is None else str(v).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(v) for v in r) + " |" for r in rows]
    return "\n".join(lines)


def table_metadata(database: Path, tables: tuple[str, ...], *, preview: bool, schema: str = "main") -> dict[str, dict]:
    """{table: {"dagster/row_count": n, "preview": markdown of the first rows}} read from a
    DuckDB file opened read-only (a serving file, never the live warehouse during a run)."""
    out: dict[str, dict] = {}
    con = duckdb.connect(str(database), read_only=True)
    try:
        for t in tables:
            meta: dict = {"dagster/row_count": con.execute(f"SELECT count(*) FROM {schema}.{t}").fetchone()[0]}
            if preview:
                cur = con.execute(f"SELECT * FROM {schema}.{t} LIMIT {PREVIEW_ROWS}")
                cols = [d[0] for d in cur.description]
                meta["preview"] = dg.MetadataValue.md(markdown_table(cols, cur.fetchall()))
            out[t] = meta
    finally:
        con.close()
    return out
