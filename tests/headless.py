"""Drive a headless Chromium over the DevTools protocol: open a rendered page, wait until its
network is ready, read values from it, click and hover, catch script errors and dialogs, take
screenshots. Used by the browser tests, ``benchmarks/bench_viz.py`` and
``scripts/explorer_screenshot.py`` (which put ``tests/`` on ``sys.path`` to import it, as
pytest does for the tests); not part of any installed package.

Needs a Chromium binary (Debian: ``apt-get install chromium``; or set ``GRAPHMEM_CHROMIUM``) and
``websocket-client`` (in graphmem's ``dev`` extra). Nothing here is needed to render a page.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from graphmem.errors import MissingDependencyError

if TYPE_CHECKING:
    from typing_extensions import Self

log = logging.getLogger(__name__)

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--mute-audio",
    "--remote-debugging-port=0",
)


class BrowserError(RuntimeError):
    """The browser could not be started, or a protocol call failed or timed out."""


def find_chromium() -> str | None:
    """Path of a Chromium binary: ``$GRAPHMEM_CHROMIUM``, else the first of :data:`CANDIDATES`
    on ``PATH``; None when there is none."""
    configured = os.environ.get("GRAPHMEM_CHROMIUM")
    if configured:
        return configured if Path(configured).exists() else None
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


class Browser:
    """A headless Chromium with one page, started in a fresh profile directory.

    >>> with Browser() as b:                                              # doctest: +SKIP
    ...     b.open(Path("graph.html"))
    ...     b.wait_for("window.graphmemViz && window.graphmemViz.ready")
    ...     b.evaluate("window.graphmemViz.nodes.length")
    """

    def __init__(self, executable: str | None = None, *, width: int = 1400, height: int = 900,
                 timeout: float = 30.0):
        try:
            import websocket
        except ImportError as exc:
            raise MissingDependencyError(
                "driving Chromium needs websocket-client: pip install 'graphmem[dev]'"
            ) from exc
        self._websocket = websocket
        exe = executable or find_chromium()
        if exe is None:
            raise BrowserError("no Chromium found (apt-get install chromium, or set GRAPHMEM_CHROMIUM)")
        self.timeout = timeout
        self._profile = tempfile.TemporaryDirectory(prefix="graphmem-chromium-")
        profile = Path(self._profile.name)
        self._stderr = open(profile / "stderr.log", "wb")  # noqa: SIM115 - closed in close()
        args = [exe, *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}",
                "about:blank"]
        self.process = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=self._stderr, start_new_session=True
        )
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        self.dialogs: list[dict[str, Any]] = []
        try:
            port = self._devtools_port(profile / "DevToolsActivePort")
            self.ws = self._connect(port)
            for domain in ("Page", "Runtime", "Log"):
                self.send(f"{domain}.enable")
            self.send("Emulation.setDeviceMetricsOverride", width=width, height=height,
                      deviceScaleFactor=1, mobile=False)
        except BaseException:
            self.close()
            raise

    # ---- lifecycle ----------------------------------------------------------------------------

    def _devtools_port(self, path: Path) -> int:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BrowserError(f"Chromium exited with status {self.process.returncode}")
            if path.exists():
                lines = path.read_text().splitlines()
                if lines and lines[0].strip().isdigit():
                    return int(lines[0])
            time.sleep(0.05)
        raise BrowserError(f"Chromium did not open a DevTools port within {self.timeout}s")

    def _connect(self, port: int) -> Any:
        deadline = time.monotonic() + self.timeout
        while True:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as r:
                targets = json.load(r)
            pages = [t for t in targets if t.get("type") == "page"]
            if pages:
                url = pages[0]["webSocketDebuggerUrl"]
                return self._websocket.create_connection(url, timeout=self.timeout,
                                                         suppress_origin=True)
            if time.monotonic() > deadline:
                raise BrowserError("Chromium has no page target")
            time.sleep(0.05)

    def close(self) -> None:
        """Stop the browser (its own process group) and remove the profile directory."""
        ws = getattr(self, "ws", None)
        if ws is not None:
            try:
                ws.close()
            except OSError:
                pass
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=5)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.process.wait(timeout=5)
        self._stderr.close()
        self._profile.cleanup()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # ---- protocol -----------------------------------------------------------------------------

    def _receive(self, deadline: float) -> dict[str, Any]:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise BrowserError("timed out waiting for Chromium")
        self.ws.settimeout(remaining)
        try:
            message: dict[str, Any] = json.loads(self.ws.recv())
        except self._websocket.WebSocketTimeoutException as exc:
            raise BrowserError("timed out waiting for Chromium") from exc
        if "method" in message:
            self.events.append(message)
            if message["method"] == "Page.javascriptDialogOpening":
                self.dialogs.append(message["params"])
                self._post("Page.handleJavaScriptDialog", accept=False)
        return message

    def _post(self, method: str, **params: Any) -> int:
        self._next_id += 1
        self.ws.send(json.dumps({"id": self._next_id, "method": method, "params": params}))
        return self._next_id

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        """Call a DevTools method and return its result (a protocol error raises)."""
        call = self._post(method, **params)
        deadline = time.monotonic() + self.timeout
        while True:
            message = self._receive(deadline)
            if message.get("id") == call:
                if "error" in message:
                    raise BrowserError(f"{method} failed: {message['error']}")
                return dict(message.get("result", {}))

    def wait_event(self, method: str, timeout: float | None = None) -> dict[str, Any]:
        """The next event named ``method`` (events already received are not replayed)."""
        seen = len(self.events)
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            for event in self.events[seen:]:
                if event["method"] == method:
                    return event
            seen = len(self.events)
            self._receive(deadline)

    # ---- page ---------------------------------------------------------------------------------

    def open(self, path: Path) -> None:
        """Navigate to a local file and wait for its load event; clears collected events."""
        self.goto(Path(path).resolve().as_uri())

    def goto(self, url: str) -> None:
        """Navigate to ``url`` (a served page, e.g. ``http://127.0.0.1:8765/``) and wait for its
        load event; clears collected events and dialogs."""
        self.events.clear()
        self.dialogs.clear()
        self._post("Page.navigate", url=url)
        self.wait_event("Page.loadEventFired")

    def type_text(self, text: str) -> None:
        """Type ``text`` into the focused element, as the keyboard would insert it."""
        self.send("Input.insertText", text=text)

    def evaluate(self, expression: str) -> Any:
        """Value of a JavaScript expression in the page (JSON-serialisable values only); an
        exception in the expression raises :class:`BrowserError`."""
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True,
                           awaitPromise=True)
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression!r} threw: {result['exceptionDetails']}")
        return result.get("result", {}).get("value")

    def wait_for(self, expression: str, timeout: float | None = None) -> Any:
        """Poll ``expression`` until it is truthy; returns its value."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise BrowserError(f"{expression!r} still false after {timeout or self.timeout}s")
            time.sleep(0.05)

    def errors(self) -> list[str]:
        """Uncaught exceptions, console.error calls and error log entries since :meth:`open`."""
        out = []
        for e in self.events:
            p = e.get("params", {})
            if e["method"] == "Runtime.exceptionThrown":
                d = p.get("exceptionDetails", {})
                out.append(f"exception: {d.get('exception', {}).get('description') or d.get('text')}")
            elif e["method"] == "Runtime.consoleAPICalled" and p.get("type") == "error":
                out.append("console.error: " + " ".join(str(a.get("value", a.get("description")))
                                                        for a in p.get("args", [])))
            elif e["method"] == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                out.append(f"log: {p['entry'].get('text')} {p['entry'].get('url', '')}".strip())
        return out

    def mouse(self, kind: str, x: float, y: float, **extra: Any) -> None:
        """Dispatch one mouse event (``mouseMoved``, ``mousePressed``, ``mouseReleased``)."""
        self.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, **extra)

    def click(self, x: float, y: float) -> None:
        """A left click at page coordinates."""
        self.mouse("mouseMoved", x, y)
        self.mouse("mousePressed", x, y, button="left", clickCount=1)
        self.mouse("mouseReleased", x, y, button="left", clickCount=1)

    def screenshot(self, path: Path) -> Path:
        """Save a PNG of the viewport to ``path``."""
        data = self.send("Page.captureScreenshot", format="png")["data"]
        Path(path).write_bytes(base64.b64decode(data))
        return Path(path)
