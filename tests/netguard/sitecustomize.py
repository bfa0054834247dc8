"""Network guard for a process tree under test: with this folder first on PYTHONPATH, every
Python process started (the daily job and the dbt it starts, which inherit the environment)
refuses and records any socket call that would leave the machine.

Python's audit hooks see each `socket.connect`, `socket.sendto`, `socket.getaddrinfo` (DNS) and
`socket.gethostbyname`: a loopback address (127.0.0.0/8, ::1, "localhost") or a Unix socket
passes; anything else is written, one line per attempt, to $PYTEST_NETGUARD_LOG (pid,
event, address, the calling frames) and refused with ConnectionRefusedError, as a machine
without a route would. tests/netguard/__init__.py installs it for the test session and reads the log.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import sys
import traceback

_LOG = os.environ.get("PYTEST_NETGUARD_LOG")


def _is_local(host) -> bool:
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    host = str(host).split("%", 1)[0]  # an IPv6 zone
    if host.lower() in ("localhost", "localhost.localdomain", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a name that would need DNS
        return False


def _outbound(event: str, args: tuple):
    """The address an audited call would reach off the machine, or None."""
    if event in ("socket.connect", "socket.sendto"):
        sock, address = args[0], args[1]
        if getattr(sock, "family", None) not in (socket.AF_INET, socket.AF_INET6):
            return None  # Unix sockets, netlink: local
        host = address[0] if isinstance(address, tuple) and address else address
        return None if _is_local(host) else address
    if event == "socket.getaddrinfo":
        return None if _is_local(args[0]) else args[0]
    if event in ("socket.gethostbyname", "socket.gethostbyname_ex"):
        return None if _is_local(args[0]) else args[0]
    return None


def _hook(event: str, args: tuple) -> None:
    if not event.startswith("socket."):
        return
    address = _outbound(event, args)
    if address is None:
        return
    frames = " < ".join(
        f"{f.filename.rsplit('site-packages/', 1)[-1]}:{f.lineno}"
        for f in reversed(traceback.extract_stack(limit=12)[:-2])
    )
    with open(_LOG, "a", encoding="utf-8") as fh:
        fh.write(f"{os.getpid()}\t{event}\t{address!r}\t{' '.join(sys.argv[:2])}\t{frames}\n")
    raise ConnectionRefusedError(f"outbound network call refused under test: {event} {address!r}")


if _LOG:
    sys.addaudithook(_hook)
