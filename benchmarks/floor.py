"""Two floors: what the daily job's work costs with everything around it taken away.

The aging floor: DuckDB alone reading the same landing files and computing the aging table in
one SQL script -- no loaders, no ledger, no checks, no dbt, no Dagster. The daily job's wall
time divided by this one is the overhead ratio `make bench` reports (issue 7: target <= 5x).

It follows the same main rules as the dbt models (latest row per key by updated_at; 835 CLP
segments with the BPR16 payment date, reversals cancelling the claim they reverse, the
highest payer level effective; balance = responsibility - payments - adjustments + refunds,
aged from the balance date) and skips what the pipeline adds on top: rejects and quarantine,
lineage, policy versions, guarantor ages, every other mart. It prints its bucket totals so a
reader can compare them with rpt_aging.

    python -m benchmarks.floor --landing DIR --as-of YYYY-MM-DD [--exclude-day YYYY-MM-DD]

The models floor (`--models`): dbt's own compiled SQL of every model, run in dependency order
in one DuckDB connection over a copy of a warehouse the daily job loaded (its raw, ops and seed
tables) -- no dbt, no Dagster, no tests: the cost of the models' SQL alone. It reads what to run
from the manifest (`compiled_code`, `depends_on`, the materialization), so it follows the models
wherever they are reshaped; incremental models run their full-refresh SQL.

    python -m benchmarks.floor --models --warehouse FILE --as-of YYYY-MM-DD [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from datetime import date
from pathlib import Path

BUCKETS = [30, 60, 90, 120]  # the default policy's aging_buckets

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
    lows = [0] + [b + 1 for b in BUCKETS]  # one more than BUCKETS: the last opens the "+" bucket
    cases = " ".join(f"when age_days <= {hi} then '{lo}-{hi}'" for lo, hi in zip(lows, BUCKETS, strict=False))
    return f"case {cases} else '{BUCKETS[-1] + 1}+' end"


def _files(landing: Path, pattern: str, exclude_day: date | None) -> list[str]:
    day = exclude_day.strftime("%Y%m%d") if exclude_day else None
    return sorted(str(p) for p in landing.glob(pattern) if not (day and day in p.name))


def run_floor(landing: Path, as_of: date, exclude_day: date | None = None) -> tuple[float, list[tuple]]:
    """Wall seconds (connect to result, in this process) and the bucket rows."""
    import duckdb

    t0 = time.perf_counter()
    con = duckdb.connect()
    rows = con.execute(
        SQL.replace("{bucket}", _bucket_sql()),
        {
            "enc": _files(landing, "pm/encounters_*.csv", exclude_day),
            "tx": _files(landing, "pm/patient_transactions_*.csv", exclude_day),
            "era": _files(landing, "era/*.835", exclude_day),
            "as_of": as_of,
        },
    ).fetchall()
    con.close()
    return time.perf_counter() - t0, rows


# ------------------------------------------------------------------------------ models floor
def compile_models(warehouse: Path, as_of: date, target: Path) -> dict:
    """`dbt compile` of every model for the as-of date against `warehouse`; the manifest."""
    from benchmarks.dbt_cli import run_dbt
    from orchestration.warehouse.project import dbt_args

    run_dbt(
        dbt_args(
            "compile",
            target,
            "--full-refresh",
            "--select",
            "resource_type:model",
            "--vars",
            json.dumps({"as_of_date": as_of.isoformat()}),
        ),
        warehouse,
    )
    return json.loads((target / "manifest.json").read_text())


def model_statements(manifest: dict) -> list[tuple[str, str]]:
    """(model name, DDL) for every model in dependency order, as dbt materializes it: a view or
    a table built from the model's compiled SQL (ephemeral models are inlined in their users)."""
    models = {
        uid: n
        for uid, n in manifest["nodes"].items()
        if n["resource_type"] == "model" and n["config"].get("materialized") != "ephemeral"
    }
    order: list[str] = []
    state: dict[str, str] = {}

    def upstream(uid: str) -> list[str]:
        """The stored models `uid` reads: an ephemeral model's own parents in its place (its
        SQL is inlined in `uid`'s compiled_code, so they must be built before `uid`)."""
        out: list[str] = []
        for dep in manifest["nodes"][uid]["depends_on"]["nodes"]:
            if dep in models:
                out.append(dep)
            elif manifest["nodes"].get(dep, {}).get("resource_type") == "model":  # ephemeral
                out.extend(upstream(dep))
        return out

    def visit(uid: str) -> None:  # depth-first topological order
        if state.get(uid) == "done":
            return
        if state.get(uid) == "visiting":
            raise ValueError(f"cycle through {uid}")
        state[uid] = "visiting"
        for dep in upstream(uid):
            visit(dep)
        state[uid] = "done"
        order.append(uid)

    for uid in sorted(models):
        visit(uid)
    out = []
    for uid in order:
        n = models[uid]
        kind = "VIEW" if n["config"]["materialized"] == "view" else "TABLE"
        out.append((n["name"], f"CREATE OR REPLACE {kind} {n['relation_name']} AS (\n{n['compiled_code']}\n)"))
    return out


def run_models_floor(warehouse: Path, as_of: date, repeats: int = 1, work: Path | None = None) -> dict:
    """The models' compiled SQL alone, `repeats` times, on a copy of `warehouse` (the copy keeps
    the file name: it is the database name in the compiled SQL). Wall seconds of each repeat
    (connect to last statement), their median, and the slowest models of the median repeat."""
    import duckdb

    from orchestration.warehouse.project import duckdb_profile

    work = Path(tempfile.mkdtemp(prefix="floor-models-", dir=work or warehouse.parent))
    try:
        copy = work / warehouse.name
        shutil.copyfile(warehouse, copy)
        statements = model_statements(compile_models(copy, as_of, work / "target"))
        settings = duckdb_profile().get("settings") or {}
        runs = []
        for _ in range(repeats):
            per_model = []
            t0 = time.perf_counter()
            con = duckdb.connect(str(copy))
            try:
                for key, value in settings.items():  # as dbt-duckdb applies the profile's settings
                    con.execute(f"SET {key} = '{value}'")
                for name, ddl in statements:
                    t = time.perf_counter()
                    con.execute(ddl)
                    per_model.append((name, time.perf_counter() - t))
            finally:
                con.close()
            runs.append((time.perf_counter() - t0, per_model))
        runs.sort(key=lambda r: r[0])
        wall, per_model = runs[len(runs) // 2]
        slowest = sorted(per_model, key=lambda m: -m[1])[:8]
        return {
            "wall_s": wall,
            "runs_s": [round(r[0], 3) for r in runs],
            "models": len(statements),
            "slowest": [[n, round(s, 3)] for n, s in slowest],
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", action="store_true", help="the models floor: dbt's compiled SQL alone")
    ap.add_argument("--landing", type=Path, help="the aging floor: the landing folder")
    ap.add_argument("--warehouse", type=Path, help="the models floor: a warehouse the daily job loaded")
    ap.add_argument("--as-of", type=date.fromisoformat, required=True)
    ap.add_argument("--exclude-day", type=date.fromisoformat, help="leave out the files of this day")
    ap.add_argument("--repeats", type=int, default=1, help="the models floor: runs (the median is reported)")
    a = ap.parse_args(argv)
    if a.models:
        if not a.warehouse:
            ap.error("--models needs --warehouse")
        print(json.dumps(run_models_floor(a.warehouse.resolve(), a.as_of, a.repeats)))
        return 0
    if not a.landing:
        ap.error("the aging floor needs --landing")
    wall, rows = run_floor(a.landing, a.as_of, a.exclude_day)
    print(json.dumps({"wall_s": round(wall, 2), "buckets": [[b, n, str(d)] for b, n, d in rows]}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
