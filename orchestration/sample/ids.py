"""Record ids of the sample clinic: a letter prefix and a zero-padded number (``G00000042``).

Entities are numbered from 0 inside the generator (array positions); their ids count from 1.
"""

from __future__ import annotations

import numpy as np

from .table import IdColumn, id_column


def guarantor_id(index: int) -> str:
    return f"G{int(index) + 1:08d}"


def encounter_id(index: int) -> str:
    return f"E{int(index) + 1:09d}"


def guarantor_id_column(index) -> IdColumn:
    return id_column("G", np.asarray(index, np.int64) + 1, 8)


def encounter_id_column(index) -> IdColumn:
    """A negative index (no encounter) is an empty cell."""
    index = np.asarray(index, np.int64)
    return id_column("E", np.where(index >= 0, index + 1, -1), 9)


def sequence_id_column(prefix: str, count: int, width: int) -> IdColumn:
    """Ids 1..count in row order (transactions, contacts, plans, ...)."""
    return id_column(prefix, np.arange(1, count + 1), width)
