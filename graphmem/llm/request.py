"""What a caller asks of :class:`~graphmem.llm.client.LLMClient`: a :class:`ChatRequest`, checked
and turned into the request body sent over HTTP (which is also what the response cache keys)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from graphmem.errors import InputError
from graphmem.llm_config import LLMConfig

__all__ = ["ChatRequest", "Message", "ReplyCheck", "request_params"]

#: One chat message: ``{"role": "system" | "user" | "assistant", "content": "..."}``.
Message = Mapping[str, str]

#: Decides whether a reply's text is usable: ``None`` accepts it, a string rejects it and says
#: why in a few words. It must not raise. A rejected reply is returned to the caller with
#: :attr:`Completion.rejected <graphmem.llm.client.Completion.rejected>` set, is never stored
#: in the response cache, and counts as a failure in the client's usage; a cached reply it
#: rejects (stored before replies were checked) is ignored and asked again.
ReplyCheck = Callable[[str], str | None]


@dataclass(frozen=True)
class ChatRequest:
    """One chat completion to run. ``None`` parameters take the client's config values;
    ``check`` (optional) tells usable replies from unusable ones, see :data:`ReplyCheck`."""

    messages: Sequence[Message]
    response_format: Mapping[str, Any] | None = None
    max_tokens: int | None = None
    temperature: float | None = None
    seed: int | None = None
    check: ReplyCheck | None = None


def request_params(request: ChatRequest, config: LLMConfig, source: str) -> dict[str, Any]:
    """The request body as sent (and as keyed in the cache), ``config`` defaults filled in.

    Raises:
        InputError: ``messages`` is empty or a message is not ``{"role": str, "content": str}``,
            or ``response_format`` is not a JSON-serialisable dict; ``source`` names the request
            in the message.
    """
    messages = request.messages
    if isinstance(messages, (str, bytes)) or not isinstance(messages, Sequence):
        raise InputError("messages must be a list of {role, content} dicts", source=source)
    if not messages:
        raise InputError("messages is empty", source=source)
    clean: list[dict[str, str]] = []
    for i, m in enumerate(messages):
        if (
            not isinstance(m, Mapping)
            or not isinstance(m.get("role"), str)
            or not isinstance(m.get("content"), str)
        ):
            raise InputError(
                f"message {i} must be {{'role': str, 'content': str}}, got {m!r:.80}",
                source=source,
            )
        clean.append({"role": m["role"], "content": m["content"]})
    params: dict[str, Any] = {
        "model": config.model,
        "messages": clean,
        "temperature": config.temperature if request.temperature is None else request.temperature,
    }
    max_tokens = config.max_tokens if request.max_tokens is None else request.max_tokens
    if max_tokens is not None:
        params["max_tokens"] = max_tokens
    seed = config.seed if request.seed is None else request.seed
    if seed is not None:
        params["seed"] = seed
    if request.response_format is not None:
        if not isinstance(request.response_format, Mapping):
            raise InputError("response_format must be a dict", source=source)
        # a JSON round trip gives a plain, serialisable copy (and fails early if it is not)
        params["response_format"] = json.loads(json.dumps(request.response_format))
    return params
