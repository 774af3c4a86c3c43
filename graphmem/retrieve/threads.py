"""Running one compiled kernel on a second thread while the caller runs another.

The numba kernels of retrieval release the interpreter lock, so a query can use the second core
for half of a long pass (the int8 dense scan, the walk's passes over every node) or for a step
that does not depend on the one beside it. Threads are started per call: a start and a join
cost tens of microseconds, against milliseconds of the passes this is used for."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["in_two", "on_thread"]

T = TypeVar("T")


def on_thread(fn: Callable[[], T], name: str) -> Callable[[], T]:
    """``fn()`` begun now on a daemon thread; the function returned joins it and gives its
    result, or raises its error in the caller's thread."""
    done: dict[str, object] = {}

    def run() -> None:
        try:
            done["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller, which raises it
            done["error"] = exc

    worker = threading.Thread(target=run, name=name, daemon=True)
    worker.start()

    def wait() -> T:
        worker.join()
        if "error" in done:
            raise done["error"]  # type: ignore[misc]
        return done["value"]  # type: ignore[return-value]

    return wait


def in_two(kernel: Callable[..., object], here: tuple[Any, ...], beside: tuple[Any, ...],
           name: str) -> None:
    """``kernel(*beside)`` on a thread of its own while ``kernel(*here)`` runs in the caller;
    returns once both are done (the thread is joined even when the caller's half fails) and
    raises the first error."""
    wait = on_thread(lambda: kernel(*beside), name)
    try:
        kernel(*here)
    finally:
        wait()
