"""The door every document passes before anything is hashed, chunked or stored.

:func:`validate_document` is the one check shared by :meth:`graphmem.Memory.add` (through
:func:`graphmem.graph.builder.to_document`), :func:`graphmem.io.record_to_document` and the batch
job in ``pipelines`` (which turns its :class:`~graphmem.errors.InputError` into a bad record, so
one poison record never aborts a job). It rejects what would otherwise fail late, half-way
through a write, or be stored and break readers later:

* lone surrogates (``"\\ud800"``, which ``json.loads`` produces from a ``\\ud800`` escape) in
  text, id, title or metadata: they cannot be encoded as UTF-8, so hashing and SQLite fail;
* text that is empty once whitespace, control and zero-width (format) characters are set aside;
* metadata that is not plain JSON: non-string keys, values other than str, finite int/float,
  bool, None, list/tuple and mappings, NaN or infinities (``json.dumps`` writes them as
  ``NaN``, which is not JSON, so ``graphmem query --json`` printed invalid JSON), and nesting
  deeper than :data:`MAX_METADATA_DEPTH`.

The checks are pure functions returning a problem description (or ``None``), so each rule can be
tested alone; messages name the field and, for metadata, the path of the bad value
(``metadata["a"][3]``), with anything unprintable escaped so the message itself can be printed.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from graphmem.errors import InputError
from graphmem.text import printable
from graphmem.timeutil import time_problem
from graphmem.types import Document

__all__ = [
    "MAX_METADATA_DEPTH",
    "MAX_NAMESPACE_CHARS",
    "check_namespace",
    "metadata_problem",
    "query_problem",
    "text_problem",
    "validate_document",
]

#: Deepest nesting of containers allowed in metadata (the metadata mapping itself is level 1).
#: Real metadata is a few levels deep. Every reader that walks it recursively (``json.dumps``
#: on write, ``dataclasses.asdict`` and ``json.dumps`` in ``query --json``, the viz page)
#: spends stack frames per level out of Python's default recursion limit of 1,000, shared with
#: its callers: 900 levels made ``query --json`` fail with RecursionError. 32 is far above any
#: realistic record and far below any of those limits.
MAX_METADATA_DEPTH = 32

_SURROGATE_RE = re.compile("[\ud800-\udfff]")
# Characters that show nothing: whitespace is tested with str.isspace; these categories are
# control (Cc) and format (Cf: zero-width space/joiners, BOM, bidi marks, soft hyphen).
_INVISIBLE = frozenset({"Cc", "Cf"})
_JSON_TYPES = "string, finite number, boolean, null, list or object"
_KEY_CHARS = 40  # a key is shown up to this many characters in a message
_PATH_PARTS = 4  # longer paths are shown as their first three parts, "...", and the last one

_Path = tuple[str | int, ...]


def validate_document(doc: Document, source: str | None = None, line: int | None = None) -> Document:
    """Check every field of ``doc``; returns it unchanged when it can be stored as it is.

    Raises:
        InputError: naming ``source`` (``"add() item 3"``, a file path) and ``line``, the field
            and what is wrong with it.
    """
    problem = (
        text_problem(doc.text)
        or _id_problem(doc.id)
        or _title_problem(doc.title)
        or time_problem(doc.time)
        or (
            metadata_problem(doc.metadata)
            if isinstance(doc.metadata, Mapping)
            else f"metadata must be a mapping, got {type(doc.metadata).__name__}"
        )
    )
    if problem is not None:
        raise InputError(problem, source=source, line=line)
    return doc


def text_problem(text: object) -> str | None:
    """What is wrong with a document's text, or ``None``: not a str, a lone surrogate, or
    nothing visible in it (only whitespace, control or zero-width characters)."""
    if not isinstance(text, str):
        return f"text must be str, got {type(text).__name__}"
    problem = _surrogate_problem(text, "text")
    if problem is not None:
        return problem
    if not text.strip():
        return "text is empty"
    if all(c.isspace() or unicodedata.category(c) in _INVISIBLE for c in text):
        return "text is empty: only control or zero-width characters"
    return None


def query_problem(query: object) -> str | None:
    """What is wrong with a retrieval query, or ``None``: not a str, blank, or a lone surrogate
    (the embedder's tokenizer rejects one with a bare TypeError; a command-line argument with
    bytes that are not UTF-8 arrives as one)."""
    if not isinstance(query, str):
        return f"query must be str, got {type(query).__name__}"
    if not query.strip():
        return "query is empty"
    return _surrogate_problem(query, "query")


def metadata_problem(metadata: Mapping[Any, Any]) -> str | None:
    """What is wrong with ``metadata``, naming the path of the first bad value, or ``None``.

    Walks the value iteratively (no recursion, so any depth is reported, not crashed on) and
    stops at :data:`MAX_METADATA_DEPTH`, which also bounds a mapping that contains itself.
    """
    stack: list[tuple[object, _Path, int]] = [(metadata, (), 1)]
    while stack:
        value, path, level = stack.pop()
        if isinstance(value, (Mapping, list, tuple)):
            if level > MAX_METADATA_DEPTH:
                return (
                    f"{_path(path)} (level {level}) is nested deeper than "
                    f"{MAX_METADATA_DEPTH} levels"
                )
            children: list[tuple[object, _Path, int]] = []
            if isinstance(value, Mapping):
                for key, child in value.items():
                    if not isinstance(key, str):
                        return (
                            f"{_path(path)} has a non-string key {_short(repr(key))} "
                            f"({type(key).__name__}): keys must be strings"
                        )
                    problem = _surrogate_problem(key, f"key {_quote(key)} of {_path(path)}")
                    if problem is not None:
                        return problem
                    children.append((child, (*path, key), level + 1))
            else:
                children = [(child, (*path, i), level + 1) for i, child in enumerate(value)]
            stack.extend(reversed(children))  # report the first bad value in document order
        elif isinstance(value, str):
            problem = _surrogate_problem(value, _path(path))
            if problem is not None:
                return problem
        elif isinstance(value, float):
            if not math.isfinite(value):
                return f"{_path(path)} is {value!r}: only finite numbers are allowed"
        elif value is not None and not isinstance(value, int):  # int covers bool
            return f"{_path(path)} is {type(value).__name__}, not a JSON value ({_JSON_TYPES})"
    return None


def _id_problem(doc_id: object) -> str | None:
    if doc_id is None:
        return None
    if not isinstance(doc_id, str) or not doc_id.strip():
        return f"id must be a non-empty string, got {_short(repr(doc_id))}"
    return _surrogate_problem(doc_id, "id")


def _title_problem(title: object) -> str | None:
    if title is None:
        return None
    if not isinstance(title, str):
        return f"title must be str, got {type(title).__name__}"
    return _surrogate_problem(title, "title")


def _surrogate_problem(text: str, what: str) -> str | None:
    match = _SURROGATE_RE.search(text)
    if match is None:
        return None
    return (
        f"{what} contains a lone surrogate ({printable(match.group())} at character "
        f"{match.start()}), which is not valid Unicode"
    )


def _path(path: _Path) -> str:
    """``metadata["a"][3]``; long paths keep their first three parts and their last."""
    parts = [f"[{p}]" if isinstance(p, int) else f"[{_quote(p)}]" for p in path]
    if len(parts) > _PATH_PARTS:
        parts = [*parts[:3], "...", parts[-1]]
    return "metadata" + "".join(parts)


def _quote(key: str) -> str:
    """A key as a double-quoted string, escaped and shortened for a message."""
    body = printable(key.replace("\\", "\\\\").replace('"', '\\"'))
    return f'"{_short(body)}"'


def _short(text: str) -> str:
    return text if len(text) <= _KEY_CHARS else text[:_KEY_CHARS] + "..."


def check_queries(method: str, queries: Sequence[str], top_k: int) -> None:
    """Reject a bare string, blank or non-string queries, and ``top_k < 1``, naming the culprit."""
    if isinstance(queries, str):
        raise TypeError(f"{method} takes a list of queries; use retrieve() for one")
    for i, q in enumerate(queries):
        if not isinstance(q, str) or not q.strip():
            raise ValueError(f"query {i} must be a non-empty string, got {q!r}")
        problem = query_problem(q)
        if problem is not None:  # an InputError, which is a ValueError too
            raise InputError(problem, source=f"{method}() query {i}")
    if top_k < 1:
        raise ValueError(f"top_k must be >= 1, got {top_k}")


#: Longest namespace name accepted.
MAX_NAMESPACE_CHARS = 128


def check_namespace(namespace: object, caller: str) -> str:
    """``namespace`` when it is a valid namespace name: a string of 1 to
    :data:`MAX_NAMESPACE_CHARS` characters with no control characters or lone surrogates, not
    blank. Raises InputError naming ``caller``."""
    if not isinstance(namespace, str):
        raise InputError(f"namespace must be a string, got {type(namespace).__name__}", source=caller)
    problem = _surrogate_problem(namespace, "namespace")
    if problem is None and not namespace.strip():
        problem = "namespace is empty"
    if problem is None and len(namespace) > MAX_NAMESPACE_CHARS:
        problem = f"namespace is {len(namespace)} characters long; the limit is {MAX_NAMESPACE_CHARS}"
    if problem is None and any(unicodedata.category(c) in _INVISIBLE for c in namespace):
        problem = f"namespace {printable(namespace)!r} contains control or format characters"
    if problem is not None:
        raise InputError(problem, source=caller)
    return namespace
