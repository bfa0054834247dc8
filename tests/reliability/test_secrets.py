"""Secrets: keys come only from the environment, a missing or malformed key stops the run with
a clear message before anything is sent, and no secret is in the repository.

The repository scan reads every git-tracked file for SendGrid keys (`SG.<id>.<secret>`),
private keys (`-----BEGIN … PRIVATE KEY-----`), AWS access keys and secret keys, GitHub /
Slack tokens, and long hex or base64 values assigned to a name containing key, secret, token
or password. Obviously fake test values (one or two repeated characters, `example`, `fake`,
`dummy`…) are allowed; anything else must be listed in ALLOWED with the reason.
"""

from __future__ import annotations

import base64
import math
import re
import secrets
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from orchestration.actions.keys import KeyConfigError, check_keys
from orchestration.actions.outreach import tokens

REPO = Path(__file__).resolve().parents[2]

RULES: dict[str, re.Pattern] = {
    "sendgrid_api_key": re.compile(r"SG\.[A-Za-z0-9_-]{16,64}\.[A-Za-z0-9_-]{20,128}"),
    "private_key": re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"),
    "aws_access_key_id": re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA)[0-9A-Z]{16}\b"),
    "aws_secret_access_key": re.compile(
        r"(?i)aws.{0,20}(?:secret|key).{0,20}?['\"=:\s]([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])"
    ),
    "github_token": re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{60,})\b"),
    "slack_token": re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}\b"),
    "assigned_secret": re.compile(
        r"(?i)\b[\w.-]*(?:key|secret|token|passw(?:or)?d|pwd)[\w.-]*['\"]?\s*(?::|=|=>)\s*"
        r"[bBrRuU]?['\"]?((?:[0-9a-fA-F]{32,})|(?:[A-Za-z0-9+/_-]{32,}={0,2}))(?![A-Za-z0-9+/_=-])"
    ),
}

# (path, rule) -> why a hit there is not a secret. Keep it short; prefer fake-looking values.
ALLOWED: dict[tuple[str, str], str] = {}

FAKE_WORDS = ("example", "fake", "dummy", "placeholder", "changeme", "redacted", "xxxx", "test")


def _entropy(s: str) -> float:
    n = len(s)
    return -sum(c / n * math.log2(c / n) for c in Counter(s).values()) if n else 0.0


def obviously_fake(value: str) -> bool:
    """Repeated characters, a counting sequence or a word that says so: a test value."""
    v = value.lower()
    if any(w in v for w in FAKE_WORDS):
        return True
    body = re.sub(r"[^a-z0-9]", "", v)
    if len(set(body)) <= 4 or _entropy(body) < 3.0:
        return True
    if re.fullmatch(r"(.{1,16}?)\1+.{0,15}", body):  # a short unit repeated ('ab' * 32)
        return True
    return body in "0123456789abcdefghijklmnopqrstuvwxyz"  # a counting sequence


def find_secrets(text: str) -> list[tuple[str, int, str]]:
    """(rule, line, masked match) for every secret-looking value that is not obviously fake."""
    hits = []
    for rule, pat in RULES.items():
        for m in pat.finditer(text):
            value = m.group(m.lastindex or 0)
            if rule not in ("private_key",) and obviously_fake(value):
                continue
            line = text.count("\n", 0, m.start()) + 1
            hits.append((rule, line, value[:6] + "…"))
    return hits


# ------------------------------------------------------------------------- the scanner
def _random_b64(n: int) -> str:
    return base64.b64encode(secrets.token_bytes(n)).decode()


def test_the_scanner_finds_real_shaped_secrets():
    """Values built at run time (so this file holds none) are found, fakes are not."""
    sg = "SG." + secrets.token_urlsafe(16)[:22] + "." + secrets.token_urlsafe(32)[:43]
    aws_id = "AKIA" + "".join(secrets.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16))
    pem = "-----BEGIN " + "RSA PRIVATE KEY-----\nMIIE...\n"
    hexkey = secrets.token_hex(32)
    samples = {
        f"SENDGRID = '{sg}'": "sendgrid_api_key",
        pem: "private_key",
        f"id = {aws_id}": "aws_access_key_id",
        f"aws_secret_access_key = {_random_b64(30)}": "aws_secret_access_key",
        f'PAYLINK_SECRET = "{hexkey}"': "assigned_secret",
        f"api_token: {_random_b64(33)}": "assigned_secret",
        f"ghp_{secrets.token_hex(20)}": "github_token",
    }
    for text, rule in samples.items():
        assert rule in {r for r, _, _ in find_secrets(text)}, text[:20]
        assert all(value.endswith("…") and len(value) <= 7 for _, _, value in find_secrets(text))
    for fake in (
        'API_KEY = ".".join(["SG", "t" * 22, "k" * 43])',
        "SECRET = 'ab' * 32",
        f"token = '{'a' * 40}'",
        "secret_key = 0123456789abcdef0123456789abcdef",
        "key = '"
        + ".".join(["SG", "example" * 3, "example" * 5])
        + "'",  # built here: no key-shaped literal is tracked
        "hash = " + secrets.token_hex(32),
        "sha256: " + secrets.token_hex(32),
    ):
        assert find_secrets(fake) == [], fake


def _tracked_files() -> list[Path]:
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    out = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
    return [REPO / p for p in out.decode().split("\0") if p]


def test_no_secret_in_the_repository():
    files = _tracked_files()
    assert len(files) > 100
    found = []
    for path in files:
        if not path.is_file():
            continue
        data = path.read_bytes()
        if b"\0" in data[:8192]:
            continue  # binary
        rel = path.relative_to(REPO).as_posix()
        for rule, line, value in find_secrets(data.decode("utf-8", errors="replace")):
            if (rel, rule) not in ALLOWED:
                found.append(f"{rel}:{line}: {rule} ({value})")
    assert not found, "secret-looking values in tracked files (move them to the environment):\n" + "\n".join(found)


def test_key_files_are_git_ignored():
    """The per-warehouse pay-link key file, var/ and .env files can never be committed."""
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    for path in ("var/warehouse.duckdb.paylink-secret", "x/warehouse.duckdb.paylink-secret", "var/anything", ".env"):
        rc = subprocess.run(["git", "check-ignore", "-q", "--no-index", path], cwd=REPO).returncode
        assert rc == 0, f"{path} is not git-ignored"


# --------------------------------------------------------------------- keys from the env
GOOD_SG = ".".join(["SG", "t" * 22, "k" * 43])  # valid shape, obviously fake
GOOD_PAYLINK = "ab" * 32


def test_keys_absent_mean_outbox_mode_and_a_per_warehouse_file():
    assert check_keys({}) == {"email": "outbox", "paylink_secret": "per-warehouse file"}
    assert check_keys({"SENDGRID_API_KEY": GOOD_SG, tokens.ENV_VAR: GOOD_PAYLINK}) == {
        "email": "live",
        "paylink_secret": "environment",
    }


@pytest.mark.parametrize(
    "env, names",
    [
        ({"SENDGRID_API_KEY": "SG.short.key"}, ["SENDGRID_API_KEY is malformed"]),
        ({"SENDGRID_API_KEY": "sk_live_0123456789abcdefghij"}, ["SENDGRID_API_KEY is malformed"]),
        ({tokens.ENV_VAR: "not a key!"}, [f"{tokens.ENV_VAR} is malformed"]),
        ({tokens.ENV_VAR: "abcd"}, [f"{tokens.ENV_VAR} decodes to 3 bytes"]),
        (
            {"SENDGRID_API_KEY": "SG.x.y", tokens.ENV_VAR: "z!z"},
            ["SENDGRID_API_KEY is malformed", f"{tokens.ENV_VAR} is malformed"],
        ),
        ({"COLLECTIONS_REQUIRE_KEYS": "1"}, ["SENDGRID_API_KEY is not set", f"{tokens.ENV_VAR} is not set"]),
        ({"COLLECTIONS_REQUIRE_KEYS": "1", "SENDGRID_API_KEY": GOOD_SG}, [f"{tokens.ENV_VAR} is not set"]),
    ],
    ids=[
        "sendgrid-short",
        "sendgrid-other-vendor",
        "paylink-not-base64",
        "paylink-too-short",
        "both",
        "required-missing",
        "required-paylink-missing",
    ],
)
def test_a_bad_key_is_a_clear_error_without_the_value(env, names):
    with pytest.raises(KeyConfigError) as exc:
        check_keys(env)
    msg = str(exc.value)
    for name in names:
        assert name in msg
    assert msg.endswith("nothing was sent")
    for v in env.values():
        if len(v) > 3:
            assert v not in msg


@pytest.mark.parametrize(
    "env, expected",
    [
        ({"SENDGRID_API_KEY": "SG.short.key"}, "SENDGRID_API_KEY is malformed"),
        ({tokens.ENV_VAR: "not a key!"}, f"{tokens.ENV_VAR} is malformed"),
    ],
    ids=["sendgrid", "paylink"],
)
def test_the_daily_job_stops_before_anything_with_a_bad_key(env, expected, collections_env, monkeypatch, dbt_manifest):
    """The real job: its first step fails on the key; nothing is read, planned, written or sent."""
    import dagster as dg

    from orchestration.definitions import defs
    from tests.raw.landing_helpers import write

    write(
        collections_env["landing"],
        "pm/guarantors_a.csv",
        "guarantor_id,first_name,last_name,updated_at\nG1,Ann,Lee,2026-01-02T10:00:00Z\n",
    )
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    job = defs.resolve_job_def("daily_job")
    with dg.DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(
            partition_key="2026-11-20",
            instance=instance,
            raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": "ERROR"}}}},
        )
        messages = [e.message or "" for e in instance.all_logs(result.run_id)] + [
            str(e.event_specific_data) for e in result.all_events if e.is_failure
        ]
    assert not result.success
    assert any(expected in m for m in messages), messages[:5]
    assert not any(v in m for m in messages for v in env.values())
    assert not result.asset_materializations_for_node("ingest_landing")
    outbox = collections_env["outbox"]
    assert not outbox.exists() or not any(p.is_file() for p in outbox.rglob("*"))
    assert not collections_env["warehouse"].exists()  # not even opened
    assert not list(collections_env["warehouse"].parent.glob("*.paylink-secret"))
