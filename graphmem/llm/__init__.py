"""LLM path: an OpenAI-compatible client and what graphmem asks of a model.

* :class:`LLMClient` / :class:`LLMConfig`: chat completions against any OpenAI-compatible
  server with our own retries, bounded concurrency, a SQLite response cache and usage counters;
* :class:`LLMExtractor`: HippoRAG's two-step (NER, then triples) extraction behind the
  :class:`~graphmem.extract.Extractor` protocol;
* :mod:`graphmem.llm.answer`: prompts and parsers for the recognition filter and for answers
  with citations;
* :func:`find_json` / :func:`parse_json`: tolerant JSON extraction from model text.

Importing this package does not import ``openai``; constructing a client does (extra ``llm``).
"""

from __future__ import annotations

from graphmem.llm.answer import (
    FILTER_RESPONSE_FORMAT,
    MAX_FILTERED_FACTS,
    build_answer_prompt,
    build_filter_prompt,
    parse_citations,
    parse_filter,
)
from graphmem.llm.cache import ResponseCache, cache_key
from graphmem.llm.client import ChatRequest, Completion, LLMClient, Message, ReplyCheck
from graphmem.llm.errors import LLMError, ParseError
from graphmem.llm.extractor import ExtractionReport, LLMExtractor
from graphmem.llm.parse import FoundJSON, find_json, parse_json
from graphmem.llm.usage import Usage
from graphmem.llm_config import LLMConfig

__all__ = [
    "FILTER_RESPONSE_FORMAT",
    "MAX_FILTERED_FACTS",
    "ChatRequest",
    "Completion",
    "ExtractionReport",
    "FoundJSON",
    "LLMClient",
    "LLMConfig",
    "LLMError",
    "LLMExtractor",
    "Message",
    "ParseError",
    "ReplyCheck",
    "ResponseCache",
    "Usage",
    "build_answer_prompt",
    "build_filter_prompt",
    "cache_key",
    "find_json",
    "parse_citations",
    "parse_filter",
    "parse_json",
]
