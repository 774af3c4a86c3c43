"""What ``import graphmem`` loads: the LLM feature stays a leaf, imported only when used."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import graphmem

CHECK = """
import sys
import graphmem
from graphmem import LLMConfig, Memory, MemoryConfig
assert Memory is not None and MemoryConfig(llm=LLMConfig(model="m")).llm.model == "m"
loaded = sorted(m for m in sys.modules if m == "graphmem.llm" or m.startswith("graphmem.llm."))
assert not loaded, loaded
"""


def test_import_graphmem_does_not_load_the_llm_package() -> None:
    root = str(Path(graphmem.__file__).resolve().parent.parent)  # this checkout, not another
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run(
        [sys.executable, "-c", CHECK],
        check=False, capture_output=True, text=True, timeout=120, env=env,
    )
    assert result.returncode == 0, result.stderr


def test_llm_package_reexports_the_same_config() -> None:
    import graphmem.llm

    assert graphmem.llm.LLMConfig is graphmem.LLMConfig


def test_the_old_llm_config_path_still_imports():
    from graphmem.llm.config import LLMConfig as old
    from graphmem.llm_config import LLMConfig

    assert old is LLMConfig
