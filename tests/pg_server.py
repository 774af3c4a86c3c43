"""A throwaway PostgreSQL server for tests and benchmarks: Debian's server binaries, ``initdb``
into a temporary directory, ``pg_ctl`` start on a unix socket in that directory (no TCP port, so
parallel sessions on one machine never collide), stopped and removed at the end.

``initdb`` refuses to run as root; as root (CI) the server runs as the ``postgres`` account of
the Debian package (``runuser -u postgres``), the directory chowned to it. The server is for
tests: ``fsync=off`` and trust authentication on its socket only.
"""

from __future__ import annotations

import glob
import logging
import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

__all__ = ["PgServer", "find_bindir", "start_server"]

USER = "graphmem"  # the database superuser initdb creates


def find_bindir() -> Path | None:
    """The newest ``/usr/lib/postgresql/<version>/bin`` holding initdb and pg_ctl, or None."""
    found = [
        Path(p).parent
        for p in glob.glob("/usr/lib/postgresql/*/bin/initdb")
        if (Path(p).parent / "pg_ctl").exists()
    ]
    return max(found, key=lambda p: int(p.parent.name), default=None) if found else None


@dataclass
class PgServer:
    """A running server: ``url`` reaches its ``postgres`` database over the socket."""

    root: Path
    bindir: Path
    as_user: list[str]

    @property
    def url(self) -> str:
        return f"postgresql://{USER}@/postgres?host={self.root}"

    def url_for(self, schema: str) -> str:
        """The store URL of ``schema`` in this server's database."""
        return f"{self.url}&schema={schema}"

    def stop(self) -> None:
        """Stop the server (immediate: nothing of a test server needs to reach disk) and
        remove its directory."""
        try:
            _run([*self.as_user, str(self.bindir / "pg_ctl"), "-D", str(self.root / "data"),
                  "-m", "immediate", "-w", "stop"])
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def _run(cmd: list[str]) -> None:
    done = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr.strip()}")


def start_server(bindir: Path) -> PgServer:
    """initdb and start a server in a new temporary directory (about a second)."""
    root = Path(tempfile.mkdtemp(prefix="graphmem-pg-"))
    as_user: list[str] = []
    if os.getuid() == 0:
        account = pwd.getpwnam("postgres")  # the Debian package's account
        os.chown(root, account.pw_uid, account.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    server = PgServer(root, bindir, as_user)
    try:
        _run([*as_user, str(bindir / "initdb"), "-D", str(root / "data"), "-U", USER,
              "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"])
        options = (
            f"-k {root} -c listen_addresses='' -c fsync=off -c synchronous_commit=off "
            "-c full_page_writes=off -c max_connections=60"
        )
        _run([*as_user, str(bindir / "pg_ctl"), "-D", str(root / "data"), "-o", options,
              "-l", str(root / "log"), "-w", "-t", "60", "start"])
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    log.info("PostgreSQL test server at %s", server.url)
    return server
