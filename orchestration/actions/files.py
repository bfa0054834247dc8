"""Atomic, private file writes for everything the actions layer hands off (outreach, placement,
refunds) and the serving layer publishes; the CSV encoding those hand-off files share.

Every file under the outbox is written the same way (docs/outputs.md, "Files"):

* the bytes go to a temporary file in the *same folder* (so the final step is a rename on one
  file system), created with mode 0600 by ``tempfile.mkstemp``, flushed and fsync'd;
* then either ``os.replace`` (``overwrite=True``) or ``os.link`` + unlink of the temporary name
  (``overwrite=False``, the default): linking fails with ``FileExistsError`` when the target
  exists, so a second writer can never clobber a file that already left; readers never see a
  half-written file in either case;
* the folder is fsync'd after the rename when ``durable`` is set (the default).

A batch of many files (statements, letters) is written with ``durable=False`` and made durable
at once by ``sync_written`` before the manifest that hands them off is written (durably): two
fsyncs per file, one after the other, cost up to ~4 ms each on a virtual disk; the batch's fsyncs
issued several at a time are committed together (docs/benchmarks.md). A crash before the
manifest leaves files no manifest names, which the next run may replace, as before.

Nothing here logs file contents.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import io
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from orchestration.faults import crash_point

PRIVATE = 0o600


def fsync_path(path: Path) -> None:
    """fsync a file or a folder by its path (errors raised)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    """A folder's entries to disk where the platform can (no directory fds: nothing to do)."""
    with contextlib.suppress(OSError):
        fsync_path(folder)


SYNC_THREADS = 8  # fsyncs in flight at once: the file system commits them together


def sync_written(paths: Iterable[str | Path]) -> None:
    """Make files written with ``atomic_write(..., durable=False)`` durable, with their folders'
    entries: an fsync of every file, several at a time (waiting for the disk together, one
    journal commit for many files instead of one each), then of each folder. Only these files
    are flushed, whatever else the machine has to write. Call it before writing the manifest
    that names them."""
    paths = [Path(p) for p in paths]
    with ThreadPoolExecutor(max_workers=SYNC_THREADS) as pool:
        list(pool.map(fsync_path, paths))
    for folder in {p.parent for p in paths}:
        _fsync_dir(folder)


def atomic_write(
    path: str | Path, data: bytes | str, *, overwrite: bool = False, mode: int = PRIVATE, durable: bool = True
) -> Path:
    """Write ``data`` to ``path`` atomically with permissions ``mode`` (default 0600).

    ``overwrite=False`` raises ``FileExistsError`` when ``path`` already exists (and leaves it
    untouched). Returns the final path.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        crash_point(f"mid_write.{path.parent.name}")  # fault injection (orchestration/faults.py)
        if overwrite:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)
            except OSError as exc:
                if exc.errno == errno.EEXIST:
                    raise FileExistsError(errno.EEXIST, "refusing to overwrite", str(path)) from None
                if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV, errno.EMLINK):
                    raise
                # file systems without hard links: best effort no-clobber
                if path.exists():
                    raise FileExistsError(errno.EEXIST, "refusing to overwrite", str(path)) from None
                os.replace(tmp, path)
            else:
                os.unlink(tmp)
        tmp = ""
    finally:
        if tmp:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
    if durable:
        _fsync_dir(path.parent)
    return path


def write_new_numbered(
    folder: str | Path,
    prefix: str,
    suffix: str,
    data: bytes | str,
    *,
    width: int = 4,
    durable: bool = True,
    start: int | None = None,
) -> Path:
    """Write ``data`` to the first free ``<prefix><n><suffix>`` in ``folder`` (n from 1, or one
    past the highest existing number), never overwriting: a re-run of the same date adds a new
    batch file instead of replacing one that already left. A caller writing many files passes
    ``start`` (one past the number it wrote last) to skip listing the folder each time."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if start is None:
        pattern = re.compile(re.escape(prefix) + r"(\d+)" + re.escape(suffix) + "$")
        used = [int(m.group(1)) for p in folder.iterdir() if (m := pattern.match(p.name))]
        start = max(used, default=0) + 1
    n = start
    while True:
        target = folder / f"{prefix}{n:0{width}d}{suffix}"
        try:
            return atomic_write(target, data, overwrite=False, durable=durable)
        except FileExistsError:
            n += 1


def write_to(target: str | Path, data: bytes | str, *, prefix: str, suffix: str, overwrite: bool = False) -> Path:
    """``target`` is a file path (atomic write, no clobber unless ``overwrite``) or an existing
    folder / a path ending in ``/``: then the next free ``<prefix><nnnn><suffix>`` in it."""
    t = Path(target)
    if t.is_dir() or str(target).endswith(("/", os.sep)):
        return write_new_numbered(t, prefix, suffix, data)
    return atomic_write(t, data, overwrite=overwrite)


def csv_bytes(columns: tuple[str, ...], rows: Iterable[Mapping]) -> bytes:
    """A UTF-8 CSV (header ``columns``, ``\\n`` line ends) of ``rows``: the hand-off files' format."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for r in rows:
        w.writerow([r[c] for c in columns])
    return buf.getvalue().encode("utf-8")


def safe_name(touch_id: str) -> str:
    """``touch_id`` when it is usable as a file name (no folder, not hidden), else ``ValueError``."""
    if not touch_id or "/" in touch_id or "\\" in touch_id or touch_id.startswith("."):
        raise ValueError("touch_id is not usable as a file name")
    return touch_id
