"""``graphmem serve``: the memory as an HTTP service (FastAPI on uvicorn, the ``server`` extra).

Importing this package loads neither FastAPI nor uvicorn: :func:`require_server_extra` does, on
demand, so ``import graphmem`` and the rest of the CLI never pay for (or need) them."""

from __future__ import annotations

from graphmem.errors import MissingDependencyError

__all__ = ["require_server_extra"]


def require_server_extra() -> None:
    """Import FastAPI and uvicorn, or raise MissingDependencyError naming the extra."""
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:
        raise MissingDependencyError(
            f"graphmem serve needs FastAPI and uvicorn ({exc.name} is missing): "
            "pip install 'graphmem[server]'"
        ) from exc
