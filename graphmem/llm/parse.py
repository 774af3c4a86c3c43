"""Tolerant extraction of a JSON object or array from model text, with the ``json`` module only.

Models asked for JSON do not always return just JSON, especially when a server ignores
``response_format``. :func:`find_json` accepts, in this order of preference:

1. the whole text as JSON (also a JSON *string* that itself holds JSON, a double-encoding some
   servers produce);
2. the contents of Markdown code fences (```` ```json ... ``` ````, also an unclosed fence);
3. JSON embedded in prose, before or after it: every balanced ``{...}`` / ``[...]`` span is
   tried and the longest that parses wins, so a stray ``[1]`` in the prose loses to the payload;
4. truncated JSON, e.g. a reply cut at ``max_tokens``: the text is cut back to the last point
   where a complete element ended (a closed string or bracket, or a comma; a number at the very
   end may be missing digits and is dropped) and the open brackets are closed.

Recovery rule for truncation: the outermost value and object members may be closed early and
keep their complete elements, but a *container that is an element of an array* is a record and
is kept only if it was closed before the cut. So ``{"triples": [["a","b","c"], ["d","e"`` gives
``{"triples": [["a","b","c"]]}`` (never a two-element "triple"), and ``{"entities": ["x", "y``
gives ``{"entities": ["x"]}``. Trailing commas (``[1, 2,]``) are repaired the same way. A
recovery that yields an empty ``{}`` or ``[]`` counts as nothing found.

Nothing is ever evaluated: only :func:`json.loads` / :meth:`json.JSONDecoder.raw_decode` run.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from graphmem.llm.errors import ParseError, preview

__all__ = ["FoundJSON", "find_json", "json_problem", "parse_json"]

_FENCE_RE = re.compile(r"```[ \t]*[A-Za-z0-9_+-]*[ \t]*\r?\n?(.*?)(?:```|\Z)", re.DOTALL)
_OPENERS = "{["
_CLOSER = {"{": "}", "[": "]"}
# Guards against pathological inputs; model replies are a few kilobytes.
_MAX_STARTS = 64
_MAX_CUTS = 512
# _scan's end markers for a value the text never closes / one closed by the wrong bracket.
_OPEN = -1
_BROKEN = -2


@dataclass(frozen=True)
class FoundJSON:
    """A JSON container found in text. ``how`` is ``"whole"``, ``"fence"``, ``"embedded"`` or
    ``"repaired"``; ``repaired`` is True when brackets had to be closed or elements dropped."""

    value: dict[str, Any] | list[Any]
    how: str

    @property
    def repaired(self) -> bool:
        return self.how == "repaired"


def find_json(text: str) -> FoundJSON | None:
    """The JSON object or array in ``text`` (see the module docstring), or ``None``.

    Scalars are never returned: a reply of just ``42`` or ``"yes"`` holds no usable structure.
    """
    if not isinstance(text, str):
        raise TypeError(f"find_json() expects str, got {type(text).__name__}")
    whole = _loads_container(text.strip(), depth=0)
    if whole is not None:
        return FoundJSON(whole, "whole")
    fences = [m.group(1) for m in _FENCE_RE.finditer(text)]
    for body in fences:
        value = _loads_container(body.strip(), depth=0)
        if value is not None:
            return FoundJSON(value, "fence")
    for body in fences:
        found = _best_in(body)
        if found is not None:
            return found
    return _best_in(text)


def parse_json(text: str) -> dict[str, Any] | list[Any]:
    """Like :func:`find_json` but returns the value and raises when nothing usable is found.

    Raises:
        ParseError: ``text`` holds no JSON object or array, even a truncated one; the message
            quotes the start of the text.
    """
    found = find_json(text)
    if found is None:
        raise ParseError("no JSON object or array in model reply", text=text or "<empty>")
    return found.value


def json_problem(text: str) -> str:
    """Why ``text`` is not a usable JSON container, in a few words for an error message:
    ``"the reply is empty"``, ``"no JSON in '...'"``, ``"truncated at character 53: '...'"``
    (the outermost value never closes) or ``"invalid JSON at character 12 (Expecting ',' ...):
    '...'"``. Positions count characters of the text with surrounding whitespace removed;
    quotes show its start on one line, escaped."""
    stripped = text.strip()
    if not stripped:
        return "the reply is empty"
    shown = repr(preview(stripped, 80))
    start = _next_opener(stripped, 0)
    if start < 0:
        return f"no JSON in {shown}"
    end, _ = _scan(stripped, start)
    if end == _OPEN:
        return f"truncated at character {len(stripped)}: {shown}"
    try:
        json.loads(stripped[start:end] if end > 0 else stripped[start:])
    except ValueError as exc:
        where, reason = getattr(exc, "pos", 0), getattr(exc, "msg", str(exc))
        return f"invalid JSON at character {start + where} ({reason}): {shown}"
    return f"no JSON object or array in {shown}"


# ---- internals ------------------------------------------------------------------------------


def _loads_container(text: str, depth: int) -> dict[str, Any] | list[Any] | None:
    """``json.loads(text)`` when that is an object/array (or a string holding one), else None."""
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if isinstance(value, (dict, list)):
        return value
    if isinstance(value, str) and depth == 0:
        return _loads_container(value.strip(), depth=1)
    return None


def _best_in(text: str) -> FoundJSON | None:
    """The longest container found by scanning ``text`` bracket by bracket.

    Complete spans are parsed as they are; a span that is balanced but invalid (a trailing
    comma) or never closed (truncation) is repaired. Candidates are ranked by how much source
    text they account for, so real payloads beat incidental brackets in prose.
    """
    best: tuple[int, FoundJSON] | None = None
    pos = 0
    for _ in range(_MAX_STARTS):
        start = _next_opener(text, pos)
        if start < 0:
            break
        end, cuts = _scan(text, start)
        candidate: tuple[int, FoundJSON] | None = None
        if end > 0:
            value = _loads_container(text[start:end], depth=1)
            if value is not None:
                candidate = (end - start, FoundJSON(value, "embedded"))
        if candidate is None:
            candidate = _repair(text, start, cuts)
        if candidate is not None and (best is None or candidate[0] > best[0]):
            best = candidate
        if end == _OPEN:
            break  # the rest of the text is inside this unclosed value
        # After a parsed span, continue behind it; after a failed one, at the next bracket.
        pos = end if candidate is not None and candidate[1].how == "embedded" else start + 1
    return best[1] if best is not None else None


def _next_opener(text: str, pos: int) -> int:
    hits = [i for i in (text.find("{", pos), text.find("[", pos)) if i >= 0]
    return min(hits) if hits else -1


def _scan(text: str, start: int) -> tuple[int, list[tuple[int, str]]]:
    """Walk from the opener at ``start`` tracking strings and brackets.

    Returns ``(end, cuts)``: ``end`` is the index after the matching closer, :data:`_OPEN` when
    the text ends first, :data:`_BROKEN` when a closer does not match; ``cuts`` lists
    ``(position, closers)`` where the text may be cut and closed to give valid JSON under the
    recovery rule.
    """
    stack: list[tuple[str, bool]] = []  # (closer, is the container an array element?)
    cuts: list[tuple[int, str]] = []
    in_string = escaped = False

    def mark(position: int) -> None:
        # Allowed only if no open container other than the outermost is an array element.
        if all(not element for _, element in stack[1:]):
            cuts.append((position, "".join(closer for closer, _ in reversed(stack))))

    for i in range(start, len(text)):
        ch = text[i]
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
                mark(i + 1)  # a closed string is complete (a key here fails to parse later)
        elif ch == '"':
            in_string = True
        elif ch in _OPENERS:
            is_element = bool(stack) and stack[-1][0] == "]"
            stack.append((_CLOSER[ch], is_element))
            mark(i + 1)
        elif ch in "}]":
            if not stack or stack[-1][0] != ch:
                return _BROKEN, cuts
            stack.pop()
            if not stack:
                return i + 1, cuts
            mark(i + 1)
        elif ch == ",":
            mark(i)
    return _OPEN, cuts


def _repair(text: str, start: int, cuts: list[tuple[int, str]]) -> tuple[int, FoundJSON] | None:
    """Close the value at ``start`` at the latest cut that parses to a non-empty container."""
    for position, closers in reversed(cuts[-_MAX_CUTS:]):
        try:
            value = json.loads(text[start:position] + closers)
        except ValueError:
            continue
        if isinstance(value, (dict, list)) and value:
            return position - start, FoundJSON(value, "repaired")
        return None  # the latest parseable cut is empty: nothing to recover
    return None
