"""Throughput figures for the outreach layer: ``python -m benchmarks.outreach``.

* statements: 1,000 one-page PDFs rendered with ``render_batch`` (2 workers) into a temporary
  folder, wall time including pool start-up, the batch's fsyncs and the manifest;
* e-mail: 10,000 touches -> ``build_requests`` (10 request bodies) -> ``EmailSender`` live mode
  (the real sendgrid client) against a local HTTP server that answers 202.
Synthetic data only; nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
from datetime import date
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

CLINIC = {
    "name": "Riverbend Family Medicine",
    "timezone": "America/Chicago",
    "help_line": "(555) 010-2400",
    "help_hours": "Mon-Fri 8am-6pm",
    "pay_site": "https://pay.riverbend.example",
    "mail_address": "Riverbend Family Medicine, PO Box 100, Springfield, IL 62701",
}
SECRET = bytes(range(32))


def touch(i: int, **over) -> dict:
    t = dict(
        touch_id=f"T{i:07d}",
        guarantor_id=f"G{i:07d}",
        episode_start=date(2026, 10, 1),
        step="statement_1",
        channel="mail",
        first_name="Alex",
        last_name=f"Sample{i}",
        address_line1=f"{i} Main St",
        city="Springfield",
        state="IL",
        postal_code="62701",
        phone="2175550142",
        email=f"p{i}@example.com",
        timezone="America/Chicago",
        balance=Decimal("100.00") + i,
        visit_date=date(2026, 9, 28),
        charge=Decimal("500"),
        insurance_paid=Decimal("300"),
        patient_portion=Decimal("200"),
        due_date=date(2026, 12, 10),
        as_of_date=date(2026, 11, 20),
    )
    t.update(over)
    return t


def bench_pdfs(n: int, workers: int, mp_context: str | None) -> float:
    from orchestration.actions.outreach.statements import render_batch
    from orchestration.actions.outreach.tokens import url_maker

    touches = [touch(i) for i in range(n)]
    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        res = render_batch(
            touches,
            Path(d),
            clinic=CLINIC,
            url_for=url_maker(CLINIC["pay_site"], SECRET),
            workers=workers,
            mp_context=mp_context,
        )
        dt = time.perf_counter() - t0
        assert res["statements"] == n
    return dt


def bench_email(n: int) -> tuple[float, float, int]:
    from orchestration.actions.outreach.email import EmailSender, build_requests
    from orchestration.actions.outreach.tokens import url_maker

    count = [0]

    class H(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            count[0] += len(json.loads(body)["personalizations"])
            self.send_response(202)
            self.send_header("X-Message-Id", "m")
            self.send_header("Content-Length", "0")
            self.end_headers()

    srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
    th = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    th.start()
    try:
        touches = [touch(i, step="email_context", channel="email") for i in range(n)]
        t0 = time.perf_counter()
        reqs, _ = build_requests(
            touches, CLINIC, url_maker(CLINIC["pay_site"], SECRET), from_email="billing@riverbend.example"
        )
        t1 = time.perf_counter()
        sender = EmailSender(
            ".".join(["SG", "b" * 22, "k" * 43]),
            host=f"http://127.0.0.1:{srv.server_address[1]}",
            before_send=lambda ids: None,
        )
        results = sender.send(reqs)
        t2 = time.perf_counter()
        assert count[0] == n and all(r.status == "sent" for r in results)
        return t1 - t0, t2 - t1, len(reqs)
    finally:
        srv.shutdown()
        srv.server_close()


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pdfs", type=int, default=1000)
    ap.add_argument("--emails", type=int, default=10000)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)
    for ctx in ("forkserver", "fork"):
        dt = bench_pdfs(args.pdfs, args.workers, ctx)
        print(f"statements: {args.pdfs} PDFs, {args.workers} workers ({ctx}): {dt:.2f} s = {args.pdfs / dt:.0f} PDFs/s")
    dt = bench_pdfs(min(args.pdfs, 300), 1, None)
    print(f"statements: {min(args.pdfs, 300)} PDFs in-process (1 core): {min(args.pdfs, 300) / dt:.0f} PDFs/s")
    build, send, nreq = bench_email(args.emails)
    print(
        f"email: {args.emails} touches -> {nreq} requests: build {build:.2f} s, send to local server "
        f"{send:.2f} s, total {build + send:.2f} s"
    )


if __name__ == "__main__":
    main()
