"""The gate before anything leaves: the landing files the warehouse was built from are still
the files in the landing folder (docs/landing.md, "Files being written").

A file is loaded only once it has settled (orchestration/raw/files.py), but a writer that
stalled longer than the settle interval and then went on, or an export re-written in place,
changes a file after it was loaded: the balances of this run were then computed on part of it.
This blocking check runs after the marts are built and before every asset that hands
something off (messages, statements, card charges, placements, refunds, settlement offers):
when a loaded file's bytes changed since, it fails naming the files, and nothing is sent. The
next run loads the new version (with a warning on the file) and sends on it.
"""

from collections.abc import Sequence

import dagster as dg
import duckdb

from orchestration.core.resources import WAREHOUSE_POOL, CollectionsResource
from orchestration.raw.files import changed_since_loaded

CHECK_NAME = "landing_files_unchanged"
TO_FIX = (
    "nothing was sent; run the date again: the new content is loaded (the file ledger shows a warning "
    "on it) and the touches are planned on it"
)


def landing_unchanged_gate(keys: Sequence[dg.AssetKey]) -> dg.AssetChecksDefinition:
    """One blocking check on each asset the sending steps read."""
    specs = [
        dg.AssetCheckSpec(
            CHECK_NAME,
            asset=k,
            blocking=True,
            description="The landing files the warehouse was built from have not changed "
            "since they were loaded (else nothing is sent).",
        )
        for k in keys
    ]

    @dg.multi_asset_check(specs=specs, name="landing_files_unchanged", pool=WAREHOUSE_POOL)
    def _check(context: dg.AssetCheckExecutionContext, collections: CollectionsResource):
        changed = changed_files(collections)
        meta = {"changed_files": changed, "files_changed": len(changed)}
        description = "\n".join([*changed, TO_FIX]) if changed else None
        for spec in specs:
            yield dg.AssetCheckResult(
                asset_key=spec.asset_key,
                check_name=CHECK_NAME,
                passed=not changed,
                severity=dg.AssetCheckSeverity.ERROR,
                metadata=meta,
                description=description,
            )

    return _check


def changed_files(collections: CollectionsResource) -> list[str]:
    paths = collections.paths
    con = duckdb.connect(str(paths.warehouse), read_only=True)
    try:
        return changed_since_loaded(con, paths.landing)
    finally:
        con.close()
