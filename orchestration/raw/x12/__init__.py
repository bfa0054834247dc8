"""X12 835 remittances (005010X221A1): a fast, stdlib-only reader and the writer beside it.

``parse_835(data)`` turns the bytes of one ERA file into flat rows (``Remittance``) and
applies the landing rules of docs/landing.md ("835 remittances"):

* **quarantine** (``X12QuarantineError``, the whole file is refused): the file has no ISA and no
  ST segment (unreadable), the ST is not an 835, the ISA header is malformed, or the file is
  cut short (an ST without its SE, a GS without its GE, an ISA without its IEA);
* **hold** (``status='held'`` on the transaction row, none of its claims / adjustments / service
  lines / PLB rows are emitted, the other transactions of the file load): the transaction's money
  does not balance to the cent -- ``BPR02 != sum(CLP04) - sum(PLB amounts)`` -- or it has no BPR,
  or one of its amounts is not a number, has more than 2 decimals (money has at most 2 in an 835
  too: nothing is rounded) or does not fit the warehouse (more than ``MONEY_MAX_DIGITS`` digits
  before the point; a quantity more than 14) -- docs/landing.md, "835 remittances";
* **warning** (the file loads, a string is added to ``Remittance.warnings``): wrong SE01 / GE01 /
  IEA01 counts, mismatched control numbers (ST02/SE02, GS06/GE02, ISA13/IEA02), unknown segment
  ids, the older 4010 version, BPR16 missing or invalid (GS04 stands in), segments found outside
  the place they belong.

The modules, in the order a file goes through them:

* ``envelope.py``: decoding, separators from the ISA (or a bare ST), splitting into segments,
  the ISA..IEA / GS..GE checks;
* ``segments.py``: the dispatch loop over the segments (the hot loop);
* ``transaction.py``: what an SE decides (payment date, balance -> held);
* ``rows.py``: the columns and named positions of the rows, their builders, ``Remittance``;
* ``values.py``: amounts, quantities and dates (memoised converters, the exact mode);
* ``reader.py``: the entry points below;
* ``writer.py``: writing 835s (vectorised; used by the sample clinic; imports numpy/pyarrow,
  so it is not imported here).

Entry points: ``parse_835`` (``Remittance``: dicts, Decimal money) for tests and callers;
``parse_835_rows`` / ``parse_835_columns`` (the same rows as tuples / columns, money as exact
plain decimal text) for the loader.
"""

from orchestration.raw.x12.errors import X12QuarantineError
from orchestration.raw.x12.reader import parse_835, parse_835_columns, parse_835_rows
from orchestration.raw.x12.rows import COLUMNS, MONEY_COLUMNS, Remittance

__all__ = [
    "COLUMNS",
    "MONEY_COLUMNS",
    "X12QuarantineError",
    "Remittance",
    "parse_835",
    "parse_835_columns",
    "parse_835_rows",
]
