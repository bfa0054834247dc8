"""Vectorised text for the sample files: ids, enum values, money and joins over Arrow arrays.

The generator keeps every value as a number (codes, cents, day numbers) and builds strings only
when it writes a file, a whole column at a time.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from orchestration.raw.x12.writer import money_x12


def join_text(*parts) -> pa.Array:
    """Element-wise concatenation of string arrays and scalars."""
    return pc.binary_join_element_wise(*parts, "")


def null_where(arr: pa.Array, mask) -> pa.Array:
    """`arr` with an empty (null) cell where `mask` is true."""
    mask = np.asarray(mask, bool)
    if not mask.any():
        return arr
    return pc.if_else(pa.array(mask), pa.scalar(None, pa.string()), arr)


def money_text(cents) -> pa.Array:
    """Decimal dollars with two decimals (``1234.50``) from integer cents."""
    return money_x12(cents)


def number_text(values) -> pa.Array:
    return pc.cast(pa.array(values), pa.string())


def padded_number_text(values, width: int) -> pa.Array:
    return pc.utf8_lpad(number_text(values), width=width, padding="0")


def id_text(prefix: str, numbers, width: int) -> pa.Array:
    """``prefix`` + the number zero-padded to ``width``; a negative number is an empty cell."""
    numbers = np.asarray(numbers, np.int64)
    return null_where(join_text(prefix, padded_number_text(np.maximum(numbers, 0), width)), numbers < 0)


def enum_text(codes, labels: Sequence[str]) -> pa.Array:
    """The label of each code; a negative code is an empty cell."""
    codes = np.asarray(codes, np.int64)
    return pc.take(pa.array(labels), pa.array(codes, mask=codes < 0))


def pick(labels: Sequence[str], positions) -> pa.Array:
    """The label at each position (every position valid)."""
    return pc.take(pa.array(labels), pa.array(np.asarray(positions, np.int64)))
