"""A local fake SendGrid (POST /v3/mail/send on 127.0.0.1) that the real sendgrid client talks
to: scripted answers (202, 429 with rate-limit headers, 500, 400, 401, slow, dropped
connection) and a log of every request. Shared by tests/actions and tests/reliability."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeSendGrid:
    """Plays SendGrid's POST /v3/mail/send. ``script`` is consumed one action per request
    (then ``default``): ('ok',) 202 + X-Message-Id; ('429', reset_epoch); ('500',);
    ('400', json_body); ('401',); ('drop',) = read the whole request, then close without
    answering; ('slow', seconds) = wait, then 202 (the request counts as accepted even when
    the client gave up waiting). Every request is logged in ``requests`` (with the action)."""

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
                    fake.requests.append(
                        {
                            "path": self.path,
                            "headers": dict(self.headers),
                            "raw": raw,
                            "body": json.loads(raw),
                            "action": action[0],
                        }
                    )
                    n = len(fake.requests)
                kind = action[0]
                if kind == "slow":
                    time.sleep(float(action[1]))
                    kind = "ok"
                if kind == "drop":
                    self.close_connection = True
                    with contextlib.suppress(OSError):
                        self.connection.shutdown(socket.SHUT_RDWR)
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

    def accepted_touch_ids(self) -> list[str]:
        """touch_ids of every request answered 202 (one entry per acceptance)."""
        return [
            p["custom_args"]["touch_id"]
            for r in self.requests
            if r["action"] in ("ok", "slow")
            for p in r["body"]["personalizations"]
        ]
