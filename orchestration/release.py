"""Release a landing file that failed a raw quality gate: a person accepts it as it is.

    python -m orchestration.release --list
    python -m orchestration.release era/BCBS01_20261120.835 --by "J. Rivera" --reason "checked with the payer"

A raw gate that failed on a file stays failed on every later run (nothing after the gate is
built or sent) until a corrected file arrives or someone releases the file here
(docs/user-guide.md, "When a gate fails"). Releasing closes the file's open failures (all of
them, or one check with --check); the next run no longer checks that file, so its rows flow
on. The release is recorded in raw.gate_failures (who, when, why). Takes the warehouse lock:
it waits for nothing and refuses while a daily job runs (exit code 75).
"""

from __future__ import annotations

import argparse
import getpass
import sys

import duckdb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="*", help="landing file names as the ledger shows them (e.g. pm/x.csv)")
    parser.add_argument("--list", action="store_true", help="list the open gate failures and exit")
    parser.add_argument("--check", help="release only this check (e.g. ge_raw_remittance_claims)")
    parser.add_argument("--by", default=None, help="who releases it (default: the login name)")
    parser.add_argument("--reason", default="accepted as it is", help="why (recorded)")
    args = parser.parse_args(argv)

    from orchestration.core.settings import Paths
    from orchestration.quality import gate_memory
    from orchestration.raw.schema import ensure_schema
    from orchestration.run import WarehouseBusy, warehouse_lock

    paths = Paths.from_env()
    if not paths.warehouse.exists():
        print(f"no warehouse at {paths.warehouse}: nothing to release", file=sys.stderr)
        return 1
    try:
        with warehouse_lock(paths.warehouse, wait=False):
            con = duckdb.connect(str(paths.warehouse))
            try:
                ensure_schema(con)
                if args.list or not args.files:
                    rows = gate_memory.open_failures(con)
                    if not rows:
                        print("no open gate failures")
                    for check, name, detail, first, last in rows:
                        since, latest = f"{first:%Y-%m-%d %H:%M}", f"{last:%Y-%m-%d %H:%M}"
                        print(f"{name}  [{check}] failing since {since} UTC (last {latest}): {detail}")
                    return 0 if args.list or not rows else 2
                by = args.by or getpass.getuser()
                missing = []
                for name in args.files:
                    n = gate_memory.release(con, name, by, args.reason, args.check)
                    if n:
                        print(
                            f"released {name}: {n} open gate failure(s) closed (by {by}: {args.reason}); "
                            "the next run no longer checks it"
                        )
                    else:
                        missing.append(name)
                for name in missing:
                    print(
                        f"{name}: no open gate failure{' of ' + args.check if args.check else ''} (see --list)",
                        file=sys.stderr,
                    )
                return 1 if missing else 0
            finally:
                con.close()
    except WarehouseBusy as busy:
        print(f"BUSY: {busy}", file=sys.stderr)
        return busy.code


if __name__ == "__main__":
    sys.exit(main())
