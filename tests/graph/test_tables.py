"""The index's growing arrays and the loaders' vector matrices: fewer copies, same values."""

from __future__ import annotations

import numpy as np
import pytest

from graphmem.graph import quantize, tables
from graphmem.store import base


def _whole_matrix_quantize(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    peak = np.abs(vectors).max(axis=1)
    scales = np.where(peak > 0, peak / 127.0, 1.0).astype(np.float32)
    return np.clip(np.rint(vectors / scales[:, None]), -127, 127).astype(np.int8), scales


def test_blockwise_quantize_equals_the_whole_matrix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(quantize, "_ROWS", 7)
    v = np.random.default_rng(0).normal(size=(40, 6)).astype(np.float32)
    v[9] = 0.0
    codes, scales = quantize.quantize_rows(v)
    want_codes, want_scales = _whole_matrix_quantize(v)
    np.testing.assert_array_equal(codes, want_codes)
    np.testing.assert_array_equal(scales, want_scales)
    assert codes.dtype == np.int8 and scales[9] == 1.0


def _fetcher(rows: list[tuple]):
    """A cursor's ``fetchmany`` over ``rows``."""
    at = [0]

    def fetch(n: int) -> list[tuple]:
        out = rows[at[0] : at[0] + n]
        at[0] += n
        return out

    return fetch


def test_rows_and_vectors_and_rows_adopting_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(base, "_BLOB_ROWS", 3)
    v = np.arange(17 * 4, dtype=np.float32).reshape(17, 4)
    _, m = base.rows_and_vectors(_fetcher([(row.tobytes(),) for row in v]), 17, 4)
    np.testing.assert_array_equal(m, v)
    assert m.flags.writeable and m.base is not None and m.base.shape == (19, 4)  # 17 + 17 // 8
    rows = tables.Rows(np.zeros((0, 4), dtype=np.float32))
    assert rows.extend(m) is m  # held as it is
    first = rows.view
    grown = rows.extend(np.full((2, 4), -1.0, dtype=np.float32))  # fits in the spare rows
    assert grown.base is m.base and np.shares_memory(grown, first)
    np.testing.assert_array_equal(grown, np.vstack([v, np.full((2, 4), -1.0)]))
    more = rows.extend(np.full((5, 4), 2.0, dtype=np.float32))  # beyond them: copied
    assert not np.shares_memory(more, m)
    np.testing.assert_array_equal(more[:19], grown)
    np.testing.assert_array_equal(first, v)  # an earlier view still shows its rows
    assert base.rows_and_vectors(_fetcher([]), 0, 4)[1].shape == (0, 4)


@pytest.mark.parametrize("bound", [17, 40, 5, 0])
def test_rows_and_vectors_streams_blocks(monkeypatch: pytest.MonkeyPatch, bound: int) -> None:
    """Block by block (3 rows at a time here), the same columns and matrix as a whole fetch;
    a ``bound`` above the rows leaves spare rows for :class:`tables.Rows`, one below them grows."""
    monkeypatch.setattr(base, "_BLOB_ROWS", 3)
    v = np.arange(17 * 4, dtype=np.float32).reshape(17, 4)
    rows = [(i, f"name {i}", v[i].tobytes()) for i in range(17)]
    head, m = base.rows_and_vectors(_fetcher(rows), bound, 4)
    assert head == [(i, f"name {i}") for i in range(17)]
    np.testing.assert_array_equal(m, v)
    assert m.flags.writeable and m.flags.c_contiguous and m.dtype == np.float32
    if bound >= 17:
        assert m.base.shape == (bound + bound // 8, 4)
        held = tables.Rows(np.zeros((0, 4), dtype=np.float32))
        held.extend(m)
        grown = held.extend(np.ones((1, 4), dtype=np.float32))
        assert np.shares_memory(grown, m)  # the spare rows took the append, no copy


def test_rows_and_vectors_of_nothing() -> None:
    head, m = base.rows_and_vectors(_fetcher([]), 10, 6)
    assert head == [] and m.shape == (0, 6) and m.dtype == np.float32


def test_rows_adopt_a_plain_array_and_copy_on_growth() -> None:
    a = np.ones((3, 2), dtype=np.float32)
    rows = tables.Rows(np.zeros((0, 2), dtype=np.float32))
    rows.extend(a)
    out = rows.extend(np.zeros((1, 2), dtype=np.float32))
    np.testing.assert_array_equal(out, [[1, 1], [1, 1], [1, 1], [0, 0]])
    np.testing.assert_array_equal(a, np.ones((3, 2)))  # never written to


def test_rows_never_adopt_rows_another_view_can_see() -> None:
    big = np.zeros((6, 2), dtype=np.float32)
    head, tail = big[:4], big[4:]
    rows = tables.Rows(np.zeros((0, 2), dtype=np.float32))
    rows.extend(head)
    rows.extend(np.ones((2, 2), dtype=np.float32))
    np.testing.assert_array_equal(tail, np.zeros((2, 2)))  # not written through
