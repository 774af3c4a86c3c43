"""Retry policy for HTTP calls to a model server: what to retry and how long to wait.

Pure functions, so the policy is tested without a server. The client retries timeouts and
connection errors, plus the statuses :func:`is_retryable` accepts; it waits what the server asks
for (:func:`retry_after_seconds`) or else a full-jitter exponential backoff
(:func:`backoff_delay`), which spreads many clients' retries apart instead of synchronising
them.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Mapping

__all__ = ["RETRYABLE_STATUS", "backoff_delay", "is_retryable", "retry_after_seconds"]

#: Retryable statuses below 500: request timeout and rate limiting. Every 5xx is retryable.
RETRYABLE_STATUS = frozenset({408, 429})


def is_retryable(status: int) -> bool:
    """True for 408, 429 and any 5xx: failures that may pass if the same request is resent."""
    return status in RETRYABLE_STATUS or status >= 500


def backoff_delay(retry: int, base_s: float, max_s: float, rng: random.Random) -> float:
    """Full jitter: uniform in ``[0, min(max_s, base_s * 2**retry)]`` for retry ``retry``
    (0-based)."""
    return rng.uniform(0.0, min(max_s, base_s * 2.0**retry))


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """Seconds the server asked us to wait: ``Retry-After-Ms``, else ``Retry-After`` as seconds
    or an HTTP date; ``None`` when absent or unreadable. Never negative.

    ``headers`` must look names up case-insensitively (as httpx's headers do) or use lower case.
    """
    ms = headers.get("retry-after-ms")
    if ms is not None:
        try:
            return max(0.0, float(ms) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
