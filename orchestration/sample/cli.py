"""``python -m orchestration.sample``: write the sample clinic into a landing folder."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from .generator import generate


def _parse_date(s: str) -> date:
    try:
        return date.fromisoformat(s)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a YYYY-MM-DD date: {s}") from exc


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m orchestration.sample", description="Write a deterministic sample clinic into a landing folder."
    )
    parser.add_argument("--out", required=True, type=Path, help="landing folder to write (era/, pm/, ops/, events/)")
    parser.add_argument("--guarantors", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--as-of", type=_parse_date, default=date(2026, 11, 20), dest="as_of")
    parser.add_argument("--days", type=int, default=200, help="days of history before --as-of")
    parser.add_argument(
        "--delta-days",
        type=int,
        default=1,
        dest="delta_days",
        help="one dated delta file per kind for each of the last N days (default 1: --as-of)",
    )
    parser.add_argument("--clinic-tz", default="America/Chicago", dest="clinic_tz")
    parser.add_argument(
        "--defects", action="store_true", help="also write the bad inputs of the landing contract (defect_catalogue.py)"
    )
    parser.add_argument("--force", action="store_true", help="replace era/, pm/, ops/, events/ in a non-empty --out")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        ZoneInfo(args.clinic_tz)
    except Exception:
        print(f"error: unknown time zone {args.clinic_tz!r}", file=sys.stderr)
        return 2
    try:
        summary = generate(
            args.out,
            guarantors=args.guarantors,
            seed=args.seed,
            as_of=args.as_of,
            days=args.days,
            delta_days=args.delta_days,
            defects=args.defects,
            clinic_tz=args.clinic_tz,
            force=args.force,
            progress=lambda message: print(message, file=sys.stderr, flush=True),
        )
    except (FileExistsError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    rows = " ".join(f"{kind}={count:,}" for kind, count in summary["rows"].items())
    print(
        f"{args.out}: {rows} era_files={summary['era_files']:,} era_claims={summary['era_claims']:,} "
        f"sendgrid_events={summary['sendgrid_events']:,}"
        + (" defects=yes" if args.defects else "")
        + f" ({summary['seconds']} s)"
    )
    return 0
