"""A user's own folder named ``pipelines`` or ``viz`` that shadows graphmem's top-level
packages: ``graphmem ingest`` / ``graphmem viz`` fail with one line naming the folder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from graphmem.cli import _shadowing_package

ROOT = Path(__file__).resolve().parents[1]


def _graphmem(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m graphmem ARGS`` in ``cwd``: ``-m`` puts the current directory first on the
    import path, ahead of PYTHONPATH, as it does for a user running it in their project."""
    return subprocess.run(
        [sys.executable, "-m", "graphmem", *args], cwd=cwd, capture_output=True, text=True,
        env={"PYTHONPATH": str(ROOT)}, timeout=120, check=False,
    )


# An editable install (``pip install -e``) adds a finder that resolves ``pipelines.cli`` from the
# source tree even below a shadowing ``pipelines``, so the import half-works there; an ordinary
# install has no such finder. Drop it to see what a user of the wheel sees (no-op otherwise).
AS_INSTALLED = (
    "import sys\n"
    "sys.meta_path[:] = [f for f in sys.meta_path if '__editable__' not in "
    "getattr(f, '__module__', type(f).__module__)]\n"
    "from graphmem.cli import main\n"
    "main(sys.argv[1:], prog_name='graphmem')\n"
)


def test_own_pipelines_folder_is_named_with_the_fix(tmp_path):
    (tmp_path / "pipelines").mkdir()
    own = tmp_path / "pipelines" / "__init__.py"
    own.write_text("# the user's own package\n", encoding="utf-8")
    r = subprocess.run(  # -c, like -m, puts the current directory first on the import path
        [sys.executable, "-c", AS_INSTALLED, "ingest", "--help"], cwd=tmp_path,
        capture_output=True, text=True, env={"PYTHONPATH": str(ROOT)}, timeout=120, check=False,
    )
    assert r.returncode == 1
    assert r.stdout == ""
    assert r.stderr.startswith("Error: cannot load `graphmem ingest` (ModuleNotFoundError: ")
    ours = ROOT / "pipelines"
    assert f"package was imported from {own.resolve()}, not graphmem's ({ours})." in r.stderr
    assert "rename that folder or run from another directory." in r.stderr
    assert "Traceback" not in r.stderr and r.stderr.count("\n") == 1


def test_own_viz_module_without_the_command_is_named(tmp_path):
    """The user's package may even have a ``cli`` module: the missing attribute is reported."""
    (tmp_path / "viz").mkdir()
    (tmp_path / "viz" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "viz" / "cli.py").write_text("def main():\n    pass\n", encoding="utf-8")
    r = _graphmem(tmp_path, "viz", "--help")
    assert r.returncode == 1
    assert r.stderr.startswith("Error: cannot load `graphmem viz` (AttributeError: ")
    assert f"imported from {(tmp_path / 'viz' / '__init__.py').resolve()}" in r.stderr


def test_a_folder_without_init_does_not_shadow(tmp_path):
    """A plain folder is a namespace package, which never wins over a regular one."""
    (tmp_path / "pipelines").mkdir()
    r = _graphmem(tmp_path, "ingest", "--help")
    assert r.returncode == 0, r.stderr
    assert "--embed-threads" in r.stdout


def test_our_own_packages_are_not_reported():
    assert _shadowing_package("pipelines.cli") is None
    assert _shadowing_package("viz.cli") is None
    assert _shadowing_package("no_such_package_here.cli") is None
