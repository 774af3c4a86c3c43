"""Retry policy: which statuses are retried, Retry-After parsing, full-jitter bounds."""

from __future__ import annotations

import email.utils
import random
import time

import pytest

from graphmem.llm.retry import backoff_delay, is_retryable, retry_after_seconds


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (408, True),
        (429, True),
        (500, True),
        (503, True),
        (599, True),
        (400, False),
        (401, False),
        (403, False),
        (404, False),
        (410, False),
        (422, False),
    ],
)
def test_is_retryable(status, expected):
    assert is_retryable(status) is expected


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, None),
        ({"retry-after": "2"}, 2.0),
        ({"retry-after": "0.25"}, 0.25),
        ({"retry-after": "-3"}, 0.0),
        ({"retry-after": "soon"}, None),
        ({"retry-after-ms": "150"}, 0.15),
        ({"retry-after-ms": "150", "retry-after": "9"}, 0.15),
        ({"retry-after-ms": "x", "retry-after": "9"}, 9.0),
    ],
)
def test_retry_after_seconds(headers, expected):
    assert retry_after_seconds(headers) == expected


def test_retry_after_http_date():
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    wait = retry_after_seconds({"retry-after": when})
    assert wait is not None and 28.0 <= wait <= 30.0
    past = email.utils.formatdate(time.time() - 30, usegmt=True)
    assert retry_after_seconds({"retry-after": past}) == 0.0


def test_full_jitter_stays_within_the_exponential_cap():
    rng = random.Random(1234)
    for retry, cap in [(0, 0.5), (1, 1.0), (3, 4.0), (6, 30.0), (20, 30.0)]:
        samples = [backoff_delay(retry, 0.5, 30.0, rng) for _ in range(500)]
        assert min(samples) >= 0.0 and max(samples) <= cap
        assert max(samples) > 0.9 * cap  # the whole range is used
