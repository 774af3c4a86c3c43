"""Blocking calls that can be abandoned: how a client stops waiting for a server that hangs.

A thread blocked reading a socket cannot be interrupted from another thread (closing the
connection pool does not wake it), so :meth:`Cancellation.call` runs the blocking function in a
daemon thread and waits for it *or* for :meth:`Cancellation.cancel`, whichever comes first. An
abandoned call ends on its own (at its timeout) and, being a daemon, never holds up the exit of
the process.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

__all__ = ["Cancellation", "Cancelled"]

T = TypeVar("T")


class Cancelled(Exception):
    """:meth:`Cancellation.cancel` was called before the call finished (or before it started)."""


class Cancellation:
    """One cancel switch shared by every call made through it. Thread-safe."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._waiting: set[threading.Event] = set()  # one per call being waited for

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def cancel(self) -> None:
        """Wake every waiting caller (they raise :class:`Cancelled`); later calls and waits
        raise or return at once. Idempotent."""
        self._event.set()
        with self._lock:
            for waiter in self._waiting:
                waiter.set()

    def sleep(self, seconds: float) -> None:
        """Sleep ``seconds`` unless cancelled first.

        Raises:
            Cancelled: cancelled before or during the sleep.
        """
        if self._event.wait(seconds):
            raise Cancelled

    def call(self, fn: Callable[[], T], name: str) -> T:
        """``fn()`` run in a daemon thread called ``name``; its result, or its exception
        re-raised here.

        Raises:
            Cancelled: cancelled before ``fn`` returned (``fn`` is left to finish unobserved).
        """
        if self._event.is_set():
            raise Cancelled
        done = threading.Event()
        outcome: list[tuple[bool, object]] = []

        def run() -> None:
            try:
                outcome.append((True, fn()))
            except BaseException as exc:  # noqa: BLE001 - re-raised in the waiting caller
                outcome.append((False, exc))
            finally:
                done.set()

        with self._lock:
            self._waiting.add(done)
        try:
            if self._event.is_set():  # cancel() ran before this call was registered
                raise Cancelled
            threading.Thread(target=run, name=name, daemon=True).start()
            done.wait()
        finally:
            with self._lock:
                self._waiting.discard(done)
        if not outcome:
            raise Cancelled
        ok, value = outcome[0]
        if not ok:
            assert isinstance(value, BaseException)
            raise value
        return value  # type: ignore[return-value]
