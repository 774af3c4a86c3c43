"""``graphmem --version`` and ``python -m graphmem``."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from graphmem import cli
from graphmem.cli import main, package_version

ROOT = Path(__file__).resolve().parents[1]


def test_version_option_prints_the_installed_version():
    r = CliRunner().invoke(main, ["--version"], catch_exceptions=False)
    assert r.exit_code == 0
    assert r.stdout == f"graphmem, version {importlib.metadata.version('graphmem')}\n"


def test_version_falls_back_to_pyproject_when_not_installed(monkeypatch):
    tomllib = pytest.importorskip("tomllib")  # 3.11+; the code under test reads the line itself
    expected = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["version"]

    def not_installed(name: str) -> str:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", not_installed)
    assert package_version() == expected
    r = CliRunner().invoke(main, ["--version"], catch_exceptions=False)
    assert r.stdout == f"graphmem, version {expected}\n"


def test_version_without_metadata_or_pyproject_is_a_one_line_error(monkeypatch, tmp_path):
    def not_installed(name: str) -> str:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", not_installed)
    monkeypatch.setattr(cli, "_PYPROJECT", tmp_path / "pyproject.toml")
    r = CliRunner().invoke(main, ["--version"])
    assert r.exit_code == 1
    assert r.stderr == f"error: no [project] version in {tmp_path / 'pyproject.toml'}\n"


def test_python_dash_m_graphmem_version():
    r = subprocess.run(
        [sys.executable, "-m", "graphmem", "--version"], capture_output=True, text=True,
        env={"PYTHONPATH": str(ROOT)}, timeout=120, check=True,
    )
    assert r.stdout == f"graphmem, version {importlib.metadata.version('graphmem')}\n"
    assert r.stderr == ""


def test_python_dash_m_graphmem_runs_the_cli():
    r = subprocess.run(
        [sys.executable, "-m", "graphmem", "--help"], capture_output=True, text=True,
        env={"PYTHONPATH": str(ROOT)}, timeout=120, check=True,
    )
    assert r.stdout.startswith("Usage: graphmem [OPTIONS] COMMAND [ARGS]...")
    assert "--version" in r.stdout and "query" in r.stdout
