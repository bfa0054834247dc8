"""What a landing file looks like when it is not what its folder's contract expects
(docs/landing.md, "Formats we recognise"), so that a quarantine reason says both: "a gzip-
compressed file; the contract expects …" instead of "missing required columns" or "not UTF-8".

Only the first bytes are read (`HEAD_BYTES`). Nothing here decides to accept a file: the
loaders call it once a file is about to be refused, or before parsing to catch binary formats.
"""

from __future__ import annotations

import json
import re

HEAD_BYTES = 64 * 1024

EXPECTS = {
    "csv": "the contract expects comma-separated UTF-8 text with one header row (docs/landing.md)",
    "era": (
        "the contract expects an X12 835 text file: segments ISA/GS/ST…SE/GE/IEA with upper-case ids (docs/landing.md)"
    ),
    "events": "the contract expects one JSON array of SendGrid events per file ([{…}, {…}], docs/landing.md)",
}

_MAGIC = (  # (prefix, what it is)
    (b"\x1f\x8b", "gzip-compressed data (decompress it first)"),
    (b"BZh", "bzip2-compressed data (decompress it first)"),
    (b"\xfd7zXZ\x00", "xz-compressed data (decompress it first)"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive (extract it)"),
    (b"Rar!", "a RAR archive (extract it)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an Excel 97-2003 workbook (.xls) or another old Office file"),
    (b"%PDF", "a PDF document"),
    (b"\x00\x00\xfe\xff", "UTF-32 text (big endian)"),
    (b"\xff\xfe\x00\x00", "UTF-32 text (little endian)"),
    (b"\xff\xfe", "UTF-16 text (a UTF-16 byte order mark; Excel's 'Unicode text' export)"),
    (b"\xfe\xff", "UTF-16 text (a UTF-16 byte order mark)"),
)


def binary_format(head: bytes, encodings: bool = True) -> str | None:
    """A binary format (an archive, a compressed file, an Office or PDF document) or, with
    `encodings`, a text encoding that is not UTF-8, recognised from the first bytes; else None."""
    for magic, what in _MAGIC:
        if head.startswith(magic):
            return what if encodings or not what.startswith("UTF-") else None
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        if b"xl/" in head or b"[Content_Types].xml" in head and b"xl" in head:
            return "an Excel workbook (.xlsx): export the sheet as CSV"
        return "a ZIP archive (extract it)"
    sample = head[:400]
    if not encodings:
        return None
    if len(sample) >= 4 and sample[1::2].count(0) > len(sample) // 4 and sample[0::2].count(0) == 0:
        return "UTF-16 text without a byte order mark (every other byte is 0)"
    if len(sample) >= 4 and sample[0::2].count(0) > len(sample) // 4 and sample[1::2].count(0) == 0:
        return "UTF-16 text without a byte order mark (every other byte is 0)"
    return None


def _first_line(head: bytes) -> str:
    text = head.decode("utf-8-sig", errors="replace")
    return text.lstrip("\r\n").split("\n", 1)[0].rstrip("\r")


def _text_format(head: bytes) -> str | None:
    """A text format that is not the folder's, from its first characters."""
    text = head.decode("utf-8-sig", errors="replace").lstrip()
    if not text:
        return None
    if re.match(r'"?sep=.?"?\s*$', _first_line(head).strip(), re.IGNORECASE):
        return f"a CSV that starts with an Excel '{_first_line(head).strip()}' line (remove that line)"
    if text[0] == "{":
        lines = [ln for ln in text.splitlines() if ln.strip()]
        if len(lines) > 1 and all(ln.lstrip().startswith("{") for ln in lines[:5]):
            return "newline-delimited JSON (NDJSON: one JSON object per line)"
        return "a JSON object"
    if text[0] == "[":
        return "a JSON array"
    if text[0] == "<":
        return "an XML or HTML document"
    return None


def csv_format(head: bytes, required: list[str]) -> str | None:
    """What a file of a CSV folder looks like when it is not a comma-separated file, else None.

    Delimiters are named only when splitting the header by them finds the contract's columns
    (a tab-, semicolon- or pipe-separated export of the right table)."""
    found = binary_format(head) or _text_format(head)
    if found:
        return found
    line = _first_line(head)
    names = {n.strip().strip('"').lower() for n in line.split(",")}
    if all(r in names for r in required):
        return None
    for sep, what in (
        ("\t", "tab-separated values (TSV)"),
        (";", "semicolon-separated values (a spreadsheet saved with a ';' list separator)"),
        ("|", "pipe-separated values"),
    ):
        if sep in line and sum(r in {n.strip().strip('"').lower() for n in line.split(sep)} for r in required) >= max(
            1, len(required) // 2
        ):
            return what
    return None


def era_format(head: bytes) -> str | None:
    """What a file of era/ looks like when it is not an X12 835 text file, else None."""
    found = binary_format(head)
    if found:
        return found
    text = head.decode("latin-1").lstrip()
    if re.match(r"(isa|st)[^A-Za-z0-9 ]", text) or re.search(r"[~\n]\s*st[*|^:]835", text):
        return "an X12 file with lower-case segment ids ('isa', 'st'; X12 ids are upper case)"
    return _text_format(head) or (
        "comma-separated text (a CSV)"
        if text.count(",") > 2 and "\n" in text and "*" not in text.split("\n", 1)[0]
        else None
    )


def events_format(head: bytes, data: bytes | None = None) -> str | None:
    """What a file of events/sendgrid/ looks like when it is not a JSON array, else None."""
    found = binary_format(head)
    if found:
        return found
    text = (data if data is not None else head).decode("utf-8-sig", errors="replace").strip()
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if len(lines) > 1 and all(_is_json_object(ln) for ln in lines[:50]):
        return "newline-delimited JSON (NDJSON: one event per line)"
    if text[:1] not in ("[", "{") and "," in (lines[0] if lines else ""):
        return "comma-separated text (a CSV)"
    return None


def _is_json_object(line: str) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


def reason(looks_like: str, folder: str) -> str:
    """The quarantine reason: what the file looks like, and what the contract expects."""
    return f"not the expected format: the file looks like {looks_like}; {EXPECTS[folder]}"


def latin1_hint(data: bytes) -> str:
    """', and it looks like Windows-1252 / Latin-1 text' when the bytes read as such."""
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        return ""
    return "; it looks like Windows-1252 / Latin-1 text: export it as UTF-8"
