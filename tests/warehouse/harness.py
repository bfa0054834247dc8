"""Hand-built landing zones for rule scenarios, and a warehouse build on them.

    lz = Landing(tmp_path)
    lz.guarantor("G1", state="IL", sms_consent_at="2026-01-01T09:00:00Z")
    lz.encounter("E1", "G1", service_date="2026-09-01", total_charge="300.00")      # self-pay
    lz.encounter("E2", "G1", service_date="2026-09-01", total_charge="500.00", primary_payer_id="AETNA")
    lz.claim("E2", payment_date="2026-09-20", charge="500.00", paid="400.00", pr="100.00", clp07="X1")
    lz.txn("T1", "G1", "E1", posted_at="2026-10-01", type="payment", amount="50.00")
    wh = lz.build(as_of=date(2026, 11, 20))          # ingest + dbt build, returns a Warehouse
    wh.one("SELECT balance FROM marts.fct_encounter_balances WHERE encounter_id = 'E1'")

Every CSV gets the columns of the landing contract (empty where not given), so a scenario
names only what it is about. `build` runs the real loaders and the real dbt project (dbt's
programmatic runner, in this process) against a DuckDB file in the scenario's folder.

Time, as a real clinic has it: every landing file arrives (its modification time) at 23:00
clinic time the evening before the as-of date — the nightly export — unless the scenario says
otherwise (`lz.arrive(kind, at)`, `lz.empty_export(kind, at)`), and the run starts at 06:00
clinic time on the as-of date (the schedule) unless `build(..., run_started_at=...)` says
otherwise. Building again on the same Landing (another date, changed rows) loads what changed
into the same warehouse, as the next night's run would.
"""

from __future__ import annotations

import csv
import os
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import yaml

from orchestration.landing.contract import CSV_BY_NAME
from orchestration.policy.policy import DEFAULT_POLICY_PATH, load_policy
from orchestration.raw.ingest import ingest
from orchestration.raw.schema import ensure_schema, write_run_context

UPDATED = "2026-01-01T00:00:00Z"


@dataclass
class Warehouse:
    path: Path

    def rows(self, sql: str, params: list | None = None) -> list[tuple]:
        con = duckdb.connect(str(self.path), read_only=True)
        try:
            return con.execute(sql, params or []).fetchall()
        finally:
            con.close()

    def one(self, sql: str, params: list | None = None) -> Any:
        rows = self.rows(sql, params)
        assert len(rows) == 1, f"expected one row, got {len(rows)}: {rows[:5]}"
        return rows[0][0] if len(rows[0]) == 1 else rows[0]

    def dicts(self, sql: str, params: list | None = None) -> list[dict]:
        con = duckdb.connect(str(self.path), read_only=True)
        try:
            cur = con.execute(sql, params or [])
            names = [d[0] for d in cur.description]
            return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        finally:
            con.close()


class Landing:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.tables: dict[str, list[dict]] = defaultdict(list)
        self.claims: list[dict] = []
        self.events: list[dict] = []
        self.send_ledger: list[dict] = []
        self.policy_overrides: dict[str, dict] = {}
        self.arrivals: dict[str, datetime] = {}  # landing kind -> arrival (aware)
        self.empty_exports: list[tuple[str, str, datetime]] = []
        self._written: dict[Path, tuple[str, float]] = {}  # file -> (sha256, mtime) of the last build
        self._as_of: date | None = None  # the date being built (arrival times)

    # --- PM and ops rows ---------------------------------------------------------------
    def add(self, table: str, **row: Any) -> dict:
        row.setdefault("updated_at", UPDATED)
        self.tables[table].append(row)
        return row

    def guarantor(self, gid: str, **kw: Any) -> dict:
        kw.setdefault("first_name", "Test")
        kw.setdefault("last_name", gid)
        kw.setdefault("state", "IL")
        return self.add("guarantors", guarantor_id=gid, **kw)

    def encounter(
        self,
        eid: str,
        gid: str,
        *,
        service_date: str,
        total_charge: str = "100.00",
        primary_payer_id: str = "SELFPAY",
        **kw: Any,
    ) -> dict:
        kw.setdefault("patient_id", f"P-{gid}")
        return self.add(
            "encounters",
            encounter_id=eid,
            guarantor_id=gid,
            service_date=service_date,
            total_charge=total_charge,
            primary_payer_id=primary_payer_id,
            **kw,
        )

    def txn(
        self,
        tid: str,
        gid: str,
        eid: str | None,
        *,
        posted_at: str,
        type: str = "payment",
        amount: str = "10.00",
        **kw: Any,
    ) -> dict:
        return self.add(
            "patient_transactions",
            transaction_id=tid,
            guarantor_id=gid,
            encounter_id=eid or "",
            posted_at=posted_at,
            type=type,
            amount=amount,
            **kw,
        )

    def contact(
        self,
        cid: str,
        gid: str,
        *,
        occurred_at: str,
        channel: str = "call",
        direction: str = "outbound",
        outcome: str = "connected",
        **kw: Any,
    ) -> dict:
        return self.add(
            "contact_log",
            contact_id=cid,
            guarantor_id=gid,
            occurred_at=occurred_at,
            channel=channel,
            direction=direction,
            outcome=outcome,
            **kw,
        )

    def dispute(self, did: str, gid: str, *, opened_at: str, **kw: Any) -> dict:
        kw.setdefault("reason", "amount_incorrect")
        return self.add("disputes", dispute_id=did, guarantor_id=gid, opened_at=opened_at, **kw)

    def hardship(self, aid: str, gid: str, *, submitted_at: str, **kw: Any) -> dict:
        return self.add("hardship", application_id=aid, guarantor_id=gid, submitted_at=submitted_at, **kw)

    def plan(
        self,
        pid: str,
        gid: str,
        *,
        created_at: str,
        installment_amount: str,
        installment_count: int,
        first_due_date: str,
        frequency: str = "monthly",
        status: str = "active",
        **kw: Any,
    ) -> dict:
        kw.setdefault("total_amount", str(Decimal(installment_amount) * installment_count))
        return self.add(
            "payment_plans",
            plan_id=pid,
            guarantor_id=gid,
            created_at=created_at,
            installment_amount=installment_amount,
            installment_count=str(installment_count),
            first_due_date=first_due_date,
            frequency=frequency,
            status=status,
            **kw,
        )

    def agency(self, aid: str, gid: str, *, occurred_at: str, event: str, **kw: Any) -> dict:
        return self.add(
            "agency_activity", activity_id=aid, guarantor_id=gid, occurred_at=occurred_at, event=event, **kw
        )

    # --- remittances, events, ledger, policy --------------------------------------------
    def claim(
        self,
        eid: str,
        *,
        payment_date: str,
        charge: str,
        paid: str,
        pr: str,
        clp07: str,
        status: str = "1",
        payer: str = "AETNA",
        deductible: str | None = None,
        coinsurance: str | None = None,
        copay: str | None = None,
    ) -> dict:
        """One CLP; claims with the same (payer, payment_date) share a file. PR split defaults
        to all-deductible."""
        c = dict(
            eid=eid,
            payment_date=payment_date,
            charge=charge,
            paid=paid,
            pr=pr,
            clp07=clp07,
            status=status,
            payer=payer,
            deductible=deductible,
            coinsurance=coinsurance,
            copay=copay,
        )
        self.claims.append(c)
        return c

    def sendgrid_event(self, event: str, *, touch_id: str, guarantor_id: str, timestamp: int, **kw: Any) -> None:
        self.events.append(
            {
                "event": event,
                "touch_id": touch_id,
                "guarantor_id": guarantor_id,
                "timestamp": timestamp,
                "sg_event_id": f"ev{len(self.events)}",
                **kw,
            }
        )

    def ledger(self, **row: Any) -> None:
        """A row of ops.send_ledger (touches the pipeline already made)."""
        self.send_ledger.append(row)

    def policy(self, section: str, **values: Any) -> None:
        self.policy_overrides.setdefault(section, {}).update(values)

    # --- time ----------------------------------------------------------------------------
    def arrive(self, kind: str, at: datetime) -> None:
        """The arrival (file modification time) of the scenario's file(s) of a landing kind
        (a table name, 'era' or 'sendgrid_events'); aware datetime."""
        self.arrivals[kind] = at

    def empty_export(self, table: str, at: datetime, suffix: str = "quiet") -> None:
        """A header-only export of `table` (a quiet day: nothing new) arriving at `at`."""
        self.empty_exports.append((table, suffix, at))

    def clinic_tz(self) -> str:
        return load_policy(self.policy_path()).clinic_tz

    def local(self, day: date, hh: int, mm: int = 0) -> datetime:
        """An aware instant: `day` at hh:mm clinic time."""
        from zoneinfo import ZoneInfo

        return datetime.combine(day, time(hh, mm), ZoneInfo(self.clinic_tz()))

    # --- writing and building ------------------------------------------------------------
    def write(self) -> Path:
        """Write the landing zone (its files' kinds in `self.files`); returns its root."""
        landing = self.root / "landing"
        kinds: dict[Path, str] = {}
        self.files = kinds
        for table, _suffix, _at in self.empty_exports:
            spec = CSV_BY_NAME[table]
            path = landing / spec.folder / f"{spec.prefix}_{_suffix}.csv"
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("w", newline="", encoding="utf-8") as fh:
                csv.writer(fh).writerow([c.name for c in spec.columns])
        for table, rows in self.tables.items():
            spec = CSV_BY_NAME[table]
            cols = [c.name for c in spec.columns]
            path = landing / spec.folder / f"{spec.prefix}_scenario.csv"
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("w", newline="", encoding="utf-8") as fh:
                w = csv.DictWriter(fh, fieldnames=cols)
                w.writeheader()
                for r in rows:
                    unknown = set(r) - set(cols)
                    assert not unknown, f"{table}: not in the landing contract: {unknown}"
                    w.writerow({c: r.get(c, "") for c in cols})
            kinds[path] = table
        groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
        for c in self.claims:
            groups[(c["payer"], c["payment_date"])].append(c)
        for n, ((payer, day), claims) in enumerate(sorted(groups.items())):
            path = landing / "era" / f"{payer}_{day.replace('-', '')}_{n}.835"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(era_835(payer, day, claims, control=n + 1))
            kinds[path] = "era"
        if self.events:
            import json

            p = landing / "events" / "sendgrid" / "events_scenario.json"
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(json.dumps(self.events))
            kinds[p] = "sendgrid_events"
        landing.mkdir(parents=True, exist_ok=True)
        if self._as_of is not None:
            self.set_arrivals(kinds, self._as_of)
        return landing

    def policy_path(self) -> Path:
        values = yaml.safe_load(DEFAULT_POLICY_PATH.read_text())
        for section, overrides in self.policy_overrides.items():
            values[section].update(overrides)
        p = self.root / "policy.yaml"
        p.write_text(yaml.safe_dump(values))
        return p

    def set_arrivals(self, files: dict[Path, str], as_of: date) -> None:
        """Every file's modification time: its kind's arrival, else 23:00 clinic time on the
        evening before `as_of`. A file whose bytes did not change keeps its earlier time."""
        import hashlib

        nightly = self.local(as_of - timedelta(days=1), 23)
        for path, kind in files.items():
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            before = self._written.get(path)
            at = self.arrivals.get(kind, nightly)
            stamp = before[1] if before and before[0] == digest and kind not in self.arrivals else at.timestamp()
            os.utime(path, (stamp, stamp))
            self._written[path] = (digest, stamp)
        for table, suffix, at in self.empty_exports:
            spec = CSV_BY_NAME[table]
            path = self.root / "landing" / spec.folder / f"{spec.prefix}_{suffix}.csv"
            os.utime(path, (at.timestamp(), at.timestamp()))

    def build(
        self,
        as_of: date,
        *,
        today: date | None = None,
        run_started_at: datetime | None = None,
        select: str | None = None,
    ) -> Warehouse:
        """Ingest and `dbt build` for `as_of`; the run starts at 06:00 clinic time on it unless
        `run_started_at` (aware) says otherwise. `select` (dbt's syntax, e.g.
        "+fct_settlement_offers"): only the models a scenario reads, their parents and the tests
        on them (cautious indirect selection: a test runs when all the models it reads were
        built). A scenario that later rebuilds `X+` on a copy must have selected every parent of
        X's children."""
        self._as_of = as_of
        landing = self.write()
        started = run_started_at or self.local(as_of, 6)
        wh = self.root / "warehouse.duckdb"
        policy = load_policy(self.policy_path())
        con = duckdb.connect(str(wh))
        try:
            ensure_schema(con)
            report = ingest(con, landing, policy, today=today or as_of, as_of=as_of, run_id="scenario")
            bad = [
                (o.file.name, o.status, o.reason)
                for o in report.outcomes
                if o.status not in ("loaded", "loaded_with_warnings")
            ]
            assert not bad, f"scenario files refused: {bad}"
            held = con.execute(
                "SELECT file_name, hold_reason FROM raw.remittance_transactions WHERE status = 'held'"
            ).fetchall()
            assert not held, f"scenario 835 transactions held: {held}"
            rejects = con.execute("SELECT file_name, line_number, column_name, reason FROM raw.load_rejects").fetchall()
            assert not rejects, f"scenario rows rejected: {rejects}"
            for row in self.send_ledger:
                cols = ", ".join(row)
                con.execute(
                    f"INSERT INTO ops.send_ledger ({cols}) VALUES ({', '.join('?' * len(row))}) ON CONFLICT DO NOTHING",
                    list(row.values()),
                )
            write_run_context(con, as_of, "scenario", started)
        finally:
            con.close()
        dbt_build(wh, select=select, indirect_selection="cautious" if select else None)
        return Warehouse(wh)


_TARGET: list[Path] = []


def _target_path() -> Path:
    """dbt's target folder of this test process: its artifacts (manifest.json, run_results,
    partial_parse.msgpack) never overwrite the project's target/ that the Dagster runs read,
    nor those of another pytest-xdist worker."""
    if not _TARGET:
        import atexit
        import shutil
        import tempfile

        _TARGET.append(Path(tempfile.mkdtemp(prefix="dbt-target-")))
        atexit.register(shutil.rmtree, _TARGET[0], True)
    return _TARGET[0]


def copy_warehouse(source: Path, folder: Path) -> Path:
    """A copy of a scenario warehouse, as folder/warehouse.duckdb: the DuckDB database keeps
    its name (the file's stem), so a rebuild of the copy partial-parses (dbt_build)."""
    import shutil

    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, folder / "warehouse.duckdb")
    return folder / "warehouse.duckdb"


def dbt_build(
    warehouse: Path, select: str | None = None, indirect_selection: str | None = None, *, command: str = "build"
) -> None:
    """`dbt build` in this process (dbt's programmatic runner); raises on any failure. dbt
    partial-parses from the project's saved parse (tests/dbt_parse_cache.py) when the file is
    named warehouse.duckdb. `command="run"`: the models without their dbt tests, for a copy
    whose rows a test compares with a warehouse whose build ran them."""
    from dbt.cli.main import dbtRunner

    from orchestration.warehouse.project import dbt_args

    os.environ["COLLECTIONS_WAREHOUSE_PATH"] = str(warehouse)
    target = _target_path()
    args = dbt_args(command, target, "--no-use-colors")
    if select:
        args += ["--select", select]
    if indirect_selection:
        args += ["--indirect-selection", indirect_selection]
    res = dbtRunner(manifest=_manifest(warehouse)).invoke(args)
    _release_duckdb()
    if not res.success:
        failures = []
        for r in res.result or []:
            if getattr(r, "status", None) not in ("success", "pass", "warn", "skipped"):
                failures.append(f"{r.node.name}: {r.status} {r.message}")
        raise AssertionError("dbt build failed:\n" + "\n".join(failures or [str(res.exception)]))


def rebuild_selection(start: str, built: str) -> str:
    """The dbt selection that rebuilds, on a copy of a warehouse built with `select=built`,
    `start` (one model or several, space-separated) and what it feeds inside that build: each
    `model+` intersected (dbt's `,`) with each part of `built` (`+fct_touches +rpt_hold_report`),
    so no model the first build left out is built."""
    return " ".join(f"{model}+,{part}" for model in start.split() for part in built.split())


_MANIFESTS: dict[str, Any] = {}


def _manifest(warehouse: Path):
    """The project parsed once per test process (dbt partial-parses from the saved parse,
    tests/dbt_parse_cache.py) and handed to every later `dbt_build` of a warehouse file of the
    same name: dbt's programmatic runner then skips parsing (~3 s a build). A parse holds the
    project's files and the DuckDB database name (the file's stem, written into every node);
    neither changes during a session (no model reads an environment variable: only
    profiles.yml does, and the profile is read again by each build). Each build gets its own
    copy: a build writes into the nodes it compiles (an ephemeral model's CTE is injected into
    its reader's compiled SQL once and marked done), so a second build on the same object would
    reference a CTE it no longer defines."""
    from dbt.cli.main import dbtRunner

    from orchestration.warehouse.project import dbt_args
    from tests.dbt_parse_cache import partial_parse_for

    key = warehouse.stem
    if key not in _MANIFESTS:
        with partial_parse_for(warehouse):
            res = dbtRunner().invoke(dbt_args("parse", _target_path(), "--no-use-colors"))
        if not res.success:
            raise AssertionError(f"dbt parse failed: {res.exception}")
        _MANIFESTS[key] = res.result
    return _MANIFESTS[key].deepcopy()


def _release_duckdb() -> None:
    """dbt-duckdb keeps its database open after an in-process run; close it so the scenario
    can read the file (and the next build can open another)."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    with DuckDBConnectionManager._LOCK:
        if DuckDBConnectionManager._ENV is not None:
            DuckDBConnectionManager._ENV.close()
            DuckDBConnectionManager._ENV = None


def era_835(payer: str, day: str, claims: list[dict], control: int = 1) -> str:
    """A minimal, valid 005010X221A1 file: one transaction, BPR02 = Σ CLP04."""
    ymd = day.replace("-", "")
    total = sum(Decimal(c["paid"]) for c in claims)
    segs = [
        f"ST*835*{control:04d}*005010X221A1",
        f"BPR*I*{total:.2f}*C*ACH*CCP*01*999999999*DA*123456*1512345678**01*999988880*DA*98765*{ymd}",
        f"TRN*1*TRACE{control}*1512345678",
        f"DTM*405*{ymd}",
        f"N1*PR*{payer} HEALTH*XV*{payer}",
        "N1*PE*RIVERBEND FAMILY MEDICINE*XX*1234567893",
        "LX*1",
    ]
    for c in claims:
        pr = Decimal(c["pr"])
        segs.append(f"CLP*{c['eid']}*{c['status']}*{c['charge']}*{c['paid']}*{pr:.2f}*12*{c['clp07']}")
        parts = [("1", c["deductible"]), ("2", c["coinsurance"]), ("3", c["copay"])]
        given = [(code, Decimal(v)) for code, v in parts if v is not None]
        if not given and pr:
            given = [("1", abs(pr))]
        sign = -1 if pr < 0 else 1
        cas = "**".join(f"{code}*{sign * v:.2f}" for code, v in given if v)  # reason*amount*quantity
        if cas:
            segs.append(f"CAS*PR*{cas}")
        contractual = Decimal(c["charge"]) - Decimal(c["paid"]) - pr
        if contractual:
            segs.append(f"CAS*CO*45*{contractual:.2f}")
        segs.append("NM1*QC*1*PATIENT*TEST****MI*M1")
    segs.append(f"SE*{len(segs) + 1}*{control:04d}")
    isa = (
        "ISA*00*          *00*          *ZZ*PAYER          *ZZ*CLINIC         *"
        f"{ymd[2:]}*1200*^*00501*{control:09d}*0*P*:"
    )
    body = [
        isa,
        f"GS*HP*PAYER*CLINIC*{ymd}*1200*{control}*X*005010X221A1",
        *segs,
        f"GE*1*{control}",
        f"IEA*1*{control:09d}",
    ]
    return "~\n".join(body) + "~\n"
