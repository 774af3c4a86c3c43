"""Times given to graphmem: parsing what callers pass, and showing what the store holds.

A document (or conversation turn) may state when it was written: a ``datetime`` (naive ones are
taken as UTC), a ``date`` (its midnight UTC) or an ISO-8601 string (``"2023-05-08"``,
``"2023-05-08T13:56:00+02:00"``, a trailing ``Z``). The store keeps Unix seconds; hits and facts
show timezone-aware UTC datetimes.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timezone

__all__ = ["time_problem", "to_datetime", "to_timestamp"]


def time_problem(value: object) -> str | None:
    """What is wrong with a time value, or ``None`` (None itself is fine: no time)."""
    if value is None:
        return None
    try:
        to_timestamp(value)
    except (TypeError, ValueError) as exc:
        return str(exc)
    return None


def to_timestamp(value: object, what: str = "time") -> float:
    """Unix seconds of ``value`` (see the module docstring). Raises ValueError/TypeError with
    a message naming ``what`` and the value."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    elif isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            shown = value if len(value) <= 60 else value[:57] + "..."
            raise ValueError(
                f"{what} {shown!r} is not an ISO-8601 date or time (e.g. 2023-05-08 or "
                "2023-05-08T13:56:00+02:00)"
            ) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
    else:
        raise TypeError(
            f"{what} must be a datetime, a date or an ISO-8601 string, got {type(value).__name__}"
        )
    seconds = moment.timestamp()
    if not math.isfinite(seconds):
        raise ValueError(f"{what} {value!r} is out of range")
    return seconds


def to_datetime(seconds: float | None) -> datetime | None:
    """The UTC datetime of stored Unix seconds (None stays None)."""
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, tz=timezone.utc)
