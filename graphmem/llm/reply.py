"""Reading a chat-completion HTTP reply: the body is parsed here, not by the openai package, so
a reply that is not a chat completion is described precisely instead of failing deep inside a
library with ``Expecting ',' delimiter`` or a missing attribute.

What a broken server or proxy sends instead of a completion, and what this module says:

* an empty body: ``is empty``;
* an HTML page (a web UI, a login page, a proxy's error page: usually a base URL without
  ``/v1``): ``is an HTML page, not a chat completion``, with the content type and the page's
  title (or its first characters), escaped;
* JSON cut short or malformed: ``is not the JSON chat completion the API returns``, with where it
  breaks (:func:`graphmem.llm.parse.json_problem`);
* JSON without a ``choices`` list (an error object sent with status 200, another API): ``is not a
  chat completion``, with the server's error message when it sent one.

The body is only ever read with :func:`json.loads`; nothing in it is evaluated.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from typing import Any

from graphmem.llm.errors import preview
from graphmem.llm.parse import json_problem

__all__ = ["NotACompletion", "ReplyParts", "read_completion"]

_TITLE_RE = re.compile(r"<title[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
# An HTML page's title is near its start; looking further only costs time on large pages.
_HTML_SCAN = 65536


class NotACompletion(ValueError):
    """The HTTP body is not a chat completion. The message says what it is instead and starts
    with a verb (``"is an HTML page, ..."``), so callers prefix where the reply came from."""


@dataclass(frozen=True)
class ReplyParts:
    """What graphmem uses of a chat completion: the first choice's text, the token counts and
    why generation stopped."""

    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str | None


def read_completion(status: int, content_type: str, body: bytes) -> ReplyParts:
    """The parts of the chat completion in ``body`` (a successful reply with HTTP ``status`` and
    header ``content_type``).

    A message without text content (``null``, or tool calls only) gives ``text=""``; token
    counts the server did not send are 0.

    Raises:
        NotACompletion: the body is empty, HTML, not JSON, or JSON without choices.
    """
    media = content_type.split(";", 1)[0].strip().lower() or "no content type"
    text = body.decode("utf-8", errors="replace")
    if not text.strip():
        raise NotACompletion(f"is empty (HTTP {status}, {media})")
    if "html" in media or text.lstrip().startswith("<"):
        raise NotACompletion(
            f"is an HTML page, not a chat completion (HTTP {status}, {media}, "
            f"{_page_summary(text)}): check that the base URL is the API root "
            "(it usually ends in /v1)"
        )
    try:
        data = json.loads(text)
    except ValueError:
        raise NotACompletion(
            f"is not the JSON chat completion the API returns (HTTP {status}): "
            f"{json_problem(text)}"
        ) from None
    choices = data.get("choices") if isinstance(data, dict) else None
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise NotACompletion(
            f"is not a chat completion (HTTP {status}, {_missing_choices(data)}): "
            f"{preview(text, 80)!r}"
        )
    choice = choices[0]
    message = choice.get("message")
    content = message.get("content") if isinstance(message, dict) else None
    usage = data.get("usage")
    finish = choice.get("finish_reason")
    return ReplyParts(
        text=content if isinstance(content, str) else "",
        prompt_tokens=_count(usage, "prompt_tokens"),
        completion_tokens=_count(usage, "completion_tokens"),
        finish_reason=finish if isinstance(finish, str) else None,
    )


def _page_summary(text: str) -> str:
    """``title '...'`` of an HTML page, else ``starts '...'``; one line, escaped by ``repr``."""
    head = text[:_HTML_SCAN]
    found = _TITLE_RE.search(head)
    if found is not None:
        title = preview(html.unescape(found.group(1)), 80)
        if title:
            return f"title {title!r}"
    return f"starts {preview(head, 80)!r}"


def _missing_choices(data: Any) -> str:
    """What a JSON body has instead of choices: the server's error message, or nothing."""
    if isinstance(data, dict):
        error = data.get("error")
        message = error.get("message") if isinstance(error, dict) else error
        if isinstance(message, str) and message.strip():
            return f"an error: {preview(message, 80)!r}"
        if isinstance(data.get("choices"), list):
            return "an empty 'choices' list"
    return "no 'choices' list"


def _count(usage: Any, name: str) -> int:
    value = usage.get(name) if isinstance(usage, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0
