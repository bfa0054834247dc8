"""The floor: DuckDB alone reading the same landing files and computing the aging table in
one SQL script -- no loaders, no ledger, no checks, no dbt, no Dagster. The daily job's wall
time divided by this one is the overhead ratio `make bench` reports (issue 7: target <= 5x).

It follows the same main rules as the dbt models (latest row per key by updated_at; 835 CLP
segments with the BPR16 payment date, reversals cancelling the claim they reverse, the
highest payer level effective; balance = responsibility - payments - adjustments + refunds,
aged from the balance date) and skips what the pipeline adds on top: rejects and quarantine,
lineage, policy versions, guarantor ages, every other mart. It prints its bucket totals so a
reader can compare them with rpt_aging.

    python -m benchmarks.floor --landing DIR --as-of YYYY-MM-DD [--exclude-day YYYY-MM-DD]
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import date
from pathlib import Path

BUCKETS = [30, 60, 90, 120]   # the default policy's aging_buckets

SQL = """
with enc_raw as (
    select * from read_csv($enc, header = true, all_varchar = true, union_by_name = true)
),
encounters as (
    select encounter_id, cast(service_date as date) as service_date,
           cast(total_charge as decimal(18, 2)) as total_charge, primary_payer_id = 'SELFPAY' as self_pay
    from enc_raw
    qualify row_number() over (partition by encounter_id order by updated_at desc) = 1
),
tx as (
    select * from read_csv($tx, header = true, all_varchar = true, union_by_name = true)
    qualify row_number() over (partition by transaction_id order by updated_at desc) = 1
),
postings as (
    select encounter_id,
           sum(case type when 'payment' then amount::decimal(18, 2) when 'payment_reversal'
               then -amount::decimal(18, 2) else 0 end) as payments,
           sum(case when type = 'adjustment' then amount::decimal(18, 2) else 0 end) as adjustments,
           sum(case when type = 'refund' then amount::decimal(18, 2) else 0 end) as refunds
    from tx where cast(posted_at as date) <= $as_of and encounter_id is not null
    group by encounter_id
),
files as (
    select filename, replace(replace(content, chr(13), ''), chr(10), '') as body from read_text($era)
),
segs as (
    select filename, unnest(string_split(body, '~')) as seg, generate_subscripts(string_split(body, '~'), 1) as pos
    from files
),
parts as (
    select filename, pos, string_split(seg, '*') as e from segs
    where starts_with(seg, 'BPR*') or starts_with(seg, 'CLP*')
),
dated as (
    select *, last_value(case when e[1] = 'BPR' then strptime(e[17], '%Y%m%d')::date end ignore nulls)
                  over (partition by filename order by pos) as payment_date
    from parts
),
claims as (
    select filename, pos, trim(e[2]) as encounter_id, e[3] as status, e[8] as pccn,
           cast(e[5] as decimal(18, 2)) as paid, cast(e[6] as decimal(18, 2)) as resp, payment_date,
           case when e[3] in ('2', '20') then 2 when e[3] in ('3', '21') then 3 else 1 end as payer_level
    from dated where e[1] = 'CLP' and e[3] <> '25' and payment_date <= $as_of
),
reversed as (
    select a.filename, a.pos from claims as a join claims as r
      on r.status = '22' and a.status <> '22' and r.encounter_id = a.encounter_id and r.pccn = a.pccn
     and (a.payment_date, a.filename, a.pos) < (r.payment_date, r.filename, r.pos)
),
effective as (
    select c.* from claims as c anti join reversed using (filename, pos)
    where c.status <> '22'
    qualify row_number() over (partition by encounter_id
                               order by payer_level desc, payment_date desc, filename desc, pos desc) = 1
),
balances as (
    select
        case when e.self_pay then e.total_charge else c.resp end
            - coalesce(p.payments, 0) - coalesce(p.adjustments, 0) + coalesce(p.refunds, 0) as balance,
        date_diff('day', case when e.self_pay then e.service_date else c.payment_date end, $as_of) as age_days
    from encounters as e
    left join effective as c using (encounter_id)
    left join postings as p using (encounter_id)
    where e.service_date <= $as_of and (e.self_pay or c.encounter_id is not null)
)
select {bucket} as bucket, count(*) as encounters, sum(balance) as dollars
from balances where balance > 0 group by all order by 1
"""


def _bucket_sql() -> str:
    cases = " ".join(f"when age_days <= {hi} then '{lo}-{hi}'"
                     for lo, hi in zip([0] + [b + 1 for b in BUCKETS], BUCKETS))
    return f"case {cases} else '{BUCKETS[-1] + 1}+' end"


def _files(landing: Path, pattern: str, exclude_day: date | None) -> list[str]:
    day = exclude_day.strftime("%Y%m%d") if exclude_day else None
    return sorted(str(p) for p in landing.glob(pattern) if not (day and day in p.name))


def run_floor(landing: Path, as_of: date, exclude_day: date | None = None) -> tuple[float, list[tuple]]:
    """Wall seconds (connect to result, in this process) and the bucket rows."""
    import duckdb

    t0 = time.perf_counter()
    con = duckdb.connect()
    rows = con.execute(SQL.replace("{bucket}", _bucket_sql()), {
        "enc": _files(landing, "pm/encounters_*.csv", exclude_day),
        "tx": _files(landing, "pm/patient_transactions_*.csv", exclude_day),
        "era": _files(landing, "era/*.835", exclude_day),
        "as_of": as_of,
    }).fetchall()
    con.close()
    return time.perf_counter() - t0, rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--landing", type=Path, required=True)
    ap.add_argument("--as-of", type=date.fromisoformat, required=True)
    ap.add_argument("--exclude-day", type=date.fromisoformat, help="leave out the files of this day")
    a = ap.parse_args(argv)
    wall, rows = run_floor(a.landing, a.as_of, a.exclude_day)
    print(json.dumps({"wall_s": round(wall, 2), "buckets": [[b, n, str(d)] for b, n, d in rows]}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
