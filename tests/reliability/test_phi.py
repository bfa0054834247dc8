"""PHI hygiene: the real daily job on the sample clinic leaves no name, date of birth, address,
phone, e-mail or amount in its logs, its Dagster event metadata, the URLs it writes, the
SendGrid custom_args or any file name; files with personal data are private (0600); the
serving analytics file (the scorecard BI reads) holds no direct identifier.

The values searched for are the clinic's own: every guarantor's names, date of birth,
address lines, phone (as written and as the outputs format it) and e-mail from its landing
files, and every balance and charge of the warehouse as the outputs print money.
"""

from __future__ import annotations

import json
import re
import stat
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from orchestration.actions.outreach.model import money
from tests.reliability.phi_fixtures import phi_files

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.session_clinic]

# a URL ends at a backslash too: in the JSON request bodies "\n" follows a link
URL_RE = re.compile(r"(?:https?://|\bpay\.[a-z0-9.-]+/)[^\s\"'<>)\]\\]+")
PAY_URL_RE = re.compile(r"^(?:https?://)?[a-z0-9.-]+(?::\d+)?/p/[a-z2-7]{20}$")


# ------------------------------------------------------------------------------ the needles
def _phone_forms(p: str) -> set[str]:
    digits = re.sub(r"\D", "", p)[-10:]
    if len(digits) != 10:
        return {p}
    a, b, c = digits[:3], digits[3:6], digits[6:]
    return {p, digits, f"+1{digits}", f"({a}) {b}-{c}", f"{a}-{b}-{c}", f"{a}.{b}.{c}"}


class Needle:
    """One value searched for: its regular expression, and the text every match of it contains
    (the value as written; lower-cased for a case-insensitive one). `leaks` runs the expression
    only on a text that contains it (a substring test, far cheaper than a regex search over
    thousands of log records): the same matches, the same messages."""

    __slots__ = ("literal", "pattern", "fold")

    def __init__(self, literal: str, pattern: str, flags: int = 0):
        self.pattern = re.compile(pattern, flags)
        self.fold = bool(flags & re.I)
        self.literal = literal.lower() if self.fold else literal

    def search(self, text: str, folded: str | None):
        """`folded`: `text.lower()` when the text is ASCII, else None (a case-insensitive value
        is then searched without the substring test: Unicode case folding is not `lower()`)."""
        if self.fold:
            if folded is not None and self.literal.isascii() and self.literal not in folded:
                return None
        elif self.literal not in text:
            return None
        return self.pattern.search(text)


@pytest.fixture(scope="module")
def needles(phi_run, phi_values) -> dict[str, list[Needle]]:
    """The values per kind; names and amounts match whole words only."""
    con = duckdb.connect(str(phi_run["warehouse"]), read_only=True)
    try:
        amounts = {
            r[0]
            for r in con.execute(
                "SELECT balance FROM marts.fct_encounter_balances UNION SELECT balance FROM marts.dim_guarantor_status "
                "UNION SELECT total_charge FROM raw.encounters UNION SELECT patient_responsibility "
                "FROM marts.fct_encounter_balances"
            ).fetchall()
            if r[0] is not None
        }
    finally:
        con.close()
    amounts = {a for a in amounts if abs(Decimal(a)) >= 10}  # "$5.00" is not an identifier
    word = lambda v: Needle(v, r"(?<![\w])" + re.escape(v) + r"(?![\w])")  # noqa: E731
    phones = set().union(*(_phone_forms(p) for p in phi_values["phone"]))
    return {
        "name": [word(v) for v in phi_values["name"] if len(v) >= 3],
        "dob": [word(v) for v in phi_values["dob"]],
        "address": [word(v) for v in phi_values["address"]],
        "phone": [Needle(v, r"(?<!\d)" + re.escape(v) + r"(?!\d)") for v in phones],
        "email": [Needle(v, re.escape(v), re.I) for v in phi_values["email"]],
        "amount": [Needle(money(a), re.escape(money(a)) + r"(?![\d])") for a in amounts],
        "amount_plain": [
            Needle(f"{Decimal(a):.2f}", r"(?<![\d.])" + re.escape(f"{Decimal(a):.2f}") + r"(?![\d])") for a in amounts
        ],
    }


def _hit(kind: str, m: re.Match, text: str) -> str:
    return f"{kind}: {m.group(0)!r} in …{text[max(0, m.start() - 40) : m.end() + 40]!r}…"


def leaks(text: str, needles: dict, kinds=("name", "dob", "address", "phone", "email", "amount")) -> list[str]:
    found = []
    folded = text.lower() if text.isascii() else None
    for kind in kinds:
        for needle in needles[kind]:
            m = needle.search(text, folded)
            if m:
                found.append(_hit(kind, m, text))
    return found


def test_the_needles_are_real(phi_run, phi_values, needles):
    """The scan is not vacuous: the values are there, and they are in the outputs meant for them."""
    assert len(phi_values["name"]) > 100 and len(phi_values["phone"]) > 50 and len(phi_values["email"]) > 50
    assert len(needles["amount"]) > 50
    outbox_text = "\n".join(
        p.read_text(errors="replace") for p in phi_files(phi_run["outbox"]) if p.suffix in (".csv", ".json")
    )
    assert leaks(outbox_text, needles, ("phone",)) and leaks(outbox_text, needles, ("amount",))


def test_the_substring_test_changes_no_match(phi_run, needles):
    """`leaks` with each value's substring test finds what the regular expressions alone find:
    on the outbox files (full of personal data), a sample of the log records, and texts made to
    differ only in case or word boundaries."""
    texts = [p.read_text(errors="replace") for p in phi_files(phi_run["outbox"]) if p.suffix in (".csv", ".json")]
    texts += [r.getMessage() for r in phi_run["records"][:: max(1, len(phi_run["records"]) // 300)]]
    email, name = needles["email"][0].literal, needles["name"][0].literal
    texts += [f"to: {email.upper()}", f"x{name}x", f"Dear {name}, ", f"İ {email.upper()}"]
    kinds = tuple(needles)

    def plain(text: str) -> list[str]:
        return [_hit(kind, m, text) for kind in kinds for n in needles[kind] if (m := n.pattern.search(text))]

    hits = 0
    for t in texts:
        found = leaks(t, needles, kinds)
        assert found == plain(t), t[:200]
        hits += len(found)
    assert hits >= 50  # the comparison is not vacuous (100 matches on this clinic)


# ---------------------------------------------------------------------------------- logs
def test_python_logs_hold_no_personal_data(phi_run, needles):
    records = phi_run["records"]
    assert len(records) > 20
    found = []
    for r in records:
        try:
            text = r.getMessage()
        except Exception:  # a record whose args do not format: scan its parts
            text = f"{r.msg} {r.args}"
        found += leaks(text, needles)
    assert not found, found[:10]


def test_dagster_event_log_holds_no_personal_data(phi_run, needles):
    entries = phi_run["entries"]
    assert len(entries) > 50
    found = []
    for e in entries:
        found += leaks(e.user_message or "", needles)
        if e.dagster_event is not None:
            found += leaks(e.dagster_event.message or "", needles)
    assert not found, found[:10]


def _metadata_text(result) -> list[str]:
    out = []
    for e in result.all_events:
        data = e.event_specific_data
        for attr in ("materialization", "asset_check_evaluation"):
            obj = getattr(data, attr, None) if data is not None else None
            if (
                obj is None
                and attr == "asset_check_evaluation"
                and data is not None
                and e.event_type_value == "ASSET_CHECK_EVALUATION"
            ):
                obj = data
            meta = getattr(obj, "metadata", None) if obj is not None else None
            if meta:
                out += [f"{k}={getattr(v, 'value', v)!r}" for k, v in meta.items()]
    return out


def test_dagster_metadata_holds_no_personal_data(phi_run, needles):
    texts = _metadata_text(phi_run["result"])
    assert len(texts) > 100
    found = [f for t in texts for f in leaks(t, needles)]
    assert not found, found[:10]


# ---------------------------------------------------------------------------------- URLs
def _pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(str(path)).pages)


def _all_text(folder: Path) -> dict[Path, str]:
    out = {}
    for p in phi_files(folder):
        if p.suffix == ".pdf":
            out[p] = _pdf_text(p)
        elif p.suffix in (".csv", ".json", ".html", ".txt", ".md"):
            out[p] = p.read_text(errors="replace")
    return out


def test_every_url_written_is_an_opaque_pay_link(phi_run, needles):
    urls: dict[str, Path] = {}
    for path, text in _all_text(phi_run["outbox"]).items():
        for u in URL_RE.findall(text.replace("\\/", "/")):
            urls[u.rstrip(".,;")] = path
    pay = [u for u in urls if "/p/" in u]
    assert len(pay) > 20, "the run wrote too few pay links to prove anything"
    found = [
        f"{u} ({urls[u].name}): {f}"
        for u in urls
        for f in leaks(u, needles, ("name", "dob", "address", "phone", "email", "amount", "amount_plain"))
    ]
    assert not found, found[:10]
    odd = [u for u in pay if not PAY_URL_RE.match(u)]
    assert not odd, odd[:10]  # /p/<token>: no query string, no id, no amount


# --------------------------------------------------------------------------- SendGrid
def test_sendgrid_custom_args_are_opaque_ids(phi_run, needles):
    bodies = [
        json.loads(p.read_text())
        for p in phi_files(phi_run["outbox"])
        if p.parent.name == "email" and p.suffix == ".json"
    ]
    assert bodies, "no SendGrid request body in the outbox"
    args = [pz.get("custom_args", {}) for b in bodies for pz in b["personalizations"]]
    assert args and all(set(a) == {"touch_id", "guarantor_id"} for a in args)
    found = [
        f
        for a in args
        for v in a.values()
        for f in leaks(str(v), needles, ("name", "dob", "address", "phone", "email", "amount", "amount_plain"))
    ]
    assert not found, found[:10]
    # categories, subject and headers (stored by SendGrid as non-sensitive) carry no personal data
    meta = [
        json.dumps(
            {k: b.get(k) for k in ("categories", "subject", "headers", "custom_args", "from", "reply_to", "asm")}
        )
        for b in bodies
    ]
    meta += [json.dumps(pz.get("subject")) for b in bodies for pz in b["personalizations"]]
    found = [f for m in meta for f in leaks(m, needles)]
    assert not found, found[:10]


# ------------------------------------------------------------------------------ files
def test_file_names_hold_no_personal_data(phi_run, needles):
    paths = [
        p.relative_to(phi_run["root"]).as_posix()
        for folder in ("outbox", "serving", "var")
        for p in phi_files(phi_run["root"] / folder)
    ]
    assert len(paths) > 20
    found = [
        f"{p}: {f}"
        for p in paths
        for f in leaks(p, needles, ("name", "dob", "address", "phone", "email", "amount", "amount_plain"))
    ]
    assert not found, found[:10]


def test_files_with_personal_data_are_private(phi_run, needles):
    """Every outbox file, the staff serving file and the warehouse are 0600 (owner only)."""
    private = phi_files(phi_run["outbox"]) + [phi_run["serving"] / "staff.duckdb", phi_run["warehouse"]]
    wrong = [
        f"{p.relative_to(phi_run['root'])}: {oct(stat.S_IMODE(p.stat().st_mode))}"
        for p in private
        if stat.S_IMODE(p.stat().st_mode) & 0o077
    ]
    assert not wrong, wrong[:10]


ID_COLUMNS = re.compile(
    r"(guarantor|patient|encounter|household|touch|transaction|placement|plan)_id$|"
    r"name|phone|email|address|birth|dob|postal|zip",
    re.I,
)


def test_serving_analytics_holds_no_direct_identifier(phi_run, needles, phi_values):
    path = phi_run["serving"] / "analytics.duckdb"
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
        assert "rpt_weekly_scorecard" in tables
        found = []
        ids = {
            r[0]
            for r in duckdb.connect(str(phi_run["warehouse"]), read_only=True)
            .execute("SELECT guarantor_id FROM raw.guarantors")
            .fetchall()
        }
        for t in tables:
            cols = [r[0] for r in con.execute(f"DESCRIBE {t}").fetchall()]
            found += [f"{t}.{c}: identifier column" for c in cols if ID_COLUMNS.search(c)]
            for c in cols:
                for (v,) in con.execute(f'SELECT DISTINCT CAST("{c}" AS VARCHAR) FROM {t}').fetchall():
                    if v is None:
                        continue
                    if v in ids:
                        found.append(f"{t}.{c}: guarantor id {v}")
                    found += [f"{t}.{c}: {f}" for f in leaks(v, needles, ("name", "dob", "address", "phone", "email"))]
    finally:
        con.close()
    parquet = phi_files(phi_run["serving"] / "analytics")
    for p in parquet:
        cols = [r[0] for r in duckdb.sql(f"DESCRIBE SELECT * FROM read_parquet('{p}')").fetchall()]
        found += [f"{p.name}.{c}: identifier column" for c in cols if ID_COLUMNS.search(c)]
    assert not found, found[:10]


def test_load_report_and_rejects_stay_in_the_warehouse(phi_run, needles):
    """The ledger's reasons (they reach the logs) carry no row content."""
    con = duckdb.connect(str(phi_run["warehouse"]), read_only=True)
    try:
        texts = [
            " ".join(str(x) for x in r if x is not None)
            for r in con.execute("SELECT reason, warnings, extra_columns FROM raw.file_ledger").fetchall()
        ]
    finally:
        con.close()
    found = [f for t in texts for f in leaks(t, needles)]
    assert not found, found[:10]


# ------------------------------------------------------------------------------ no outbound call
def test_the_job_makes_no_outbound_network_call(phi_run):
    """The whole daily job (this process and the dbt it starts) ran under the session's network
    guard (tests/netguard): no socket call left the machine, DNS look-ups included. dagster-dbt
    would run `dbt --version`, which asks the package index (orchestration/warehouse/project.py)."""
    assert phi_run["outbound"] == []


def test_the_network_guard_refuses_and_logs_what_would_leave(tmp_path):
    """The guard the job ran under: a started process (as dbt is) gets it from PYTHONPATH; an
    outbound connection or DNS look-up is refused and logged, loopback passes."""
    import os
    import subprocess
    import sys

    from tests import netguard

    code = """
import socket
server = socket.create_server(("127.0.0.1", 0)); port = server.getsockname()[1]
socket.create_connection(("127.0.0.1", port)).close(); socket.create_connection(("localhost", port)).close()
for attempt in (lambda: socket.socket().connect(("192.0.2.1", 443)),
                lambda: socket.getaddrinfo("pypi.org", 443)):
    try:
        attempt(); print("left")
    except ConnectionRefusedError:
        print("refused")
"""
    start = netguard.mark()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=os.environ)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["refused", "refused"]
    logged = netguard.attempts(start)
    assert [line.split("\t")[1:3] for line in logged] == [
        ["socket.connect", "('192.0.2.1', 443)"],
        ["socket.getaddrinfo", "'pypi.org'"],
    ]


def test_dbt_runs_without_asking_its_version_in_a_subprocess(monkeypatch):
    """dagster-dbt's `dbt --version` subprocess (adapter imports, a package-index call) is gone:
    the resource reads the installed dbt-core's version."""
    import subprocess

    from dbt.version import __version__
    from packaging import version

    from orchestration.warehouse.project import dbt_resource

    def refuse(*args, **kwargs):
        raise AssertionError(f"subprocess started: {args}")

    monkeypatch.setattr(subprocess, "check_output", refuse)
    monkeypatch.setattr("dagster_dbt.core.resource.check_output", refuse)
    assert dbt_resource()._cli_version == version.parse(__version__)
