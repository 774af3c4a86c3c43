"""Where :class:`LLMConfig` was imported from before it moved to :mod:`graphmem.llm_config` (a
leaf module, so that ``import graphmem`` does not load this package); kept so that code
importing ``graphmem.llm.config`` keeps working."""

from graphmem.llm_config import (
    DEFAULT_BASE_URL,
    DEFAULT_MODEL,
    LOCAL_API_KEY,
    MODEL_ENV,
    LLMConfig,
)

__all__ = ["DEFAULT_BASE_URL", "DEFAULT_MODEL", "LOCAL_API_KEY", "MODEL_ENV", "LLMConfig"]
