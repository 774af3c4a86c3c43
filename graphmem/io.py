"""Reading documents from files: ``.jsonl`` records, ``.json`` lists, directories of ``.txt``/``.md``.

Every problem is reported as :class:`InputError` naming the file and, for line-oriented input,
the line. Files are read fully and validated before anything is returned, so a caller that adds
what this returns never writes half a file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from graphmem.errors import InputError
from graphmem.types import Document

TEXT_SUFFIXES = (".txt", ".md")


def read_documents(path: str | Path) -> list[Document]:
    """Documents from one file or directory (recursively, sorted by path)."""
    p = Path(path)
    if p.is_dir():
        files = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in TEXT_SUFFIXES)
        return [doc for f in files for doc in read_documents(f)]
    if not p.exists():
        raise InputError("no such file or directory", source=str(p))
    suffix = p.suffix.lower()
    if suffix == ".jsonl":
        return list(_jsonl(p))
    if suffix == ".json":
        return _json_list(p)
    if suffix in TEXT_SUFFIXES:
        text = read_text(p)
        if not text.strip():
            raise InputError("file is empty", source=str(p))
        return [text_document(p, text)]
    raise InputError(
        f"unsupported file type {suffix or '(none)'}: expected .jsonl, .json, .txt, .md or a directory",
        source=str(p),
    )


def text_document(p: Path, text: str) -> Document:
    """The document for a ``.txt``/``.md`` file: id = the path as given (POSIX form), title = the
    file name without suffix. Public so streaming readers (``pipelines``) build the same ids."""
    return Document(text=text, id=str(p.as_posix()), title=p.stem, metadata={"path": str(p)})


def read_text(p: Path) -> str:
    """The file as UTF-8 text; undecodable bytes raise InputError naming the file and line."""
    data = p.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(f"not valid UTF-8 (byte offset {exc.start})", source=str(p), line=line) from exc


def _jsonl(p: Path) -> Iterator[Document]:
    for n, line in enumerate(read_text(p).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"malformed JSON: {exc.msg} (column {exc.colno})", source=str(p), line=n) from exc
        yield record_to_document(record, str(p), n)


def _json_list(p: Path) -> list[Document]:
    try:
        data = json.loads(read_text(p))
    except json.JSONDecodeError as exc:
        raise InputError(f"malformed JSON: {exc.msg}", source=str(p), line=exc.lineno) from exc
    if not isinstance(data, list):
        raise InputError(f"expected a JSON list of records, got {type(data).__name__}", source=str(p))
    return [record_to_document(r, f"{p} record {i}", None) for i, r in enumerate(data)]


def record_to_document(record: Any, source: str, line: int | None) -> Document:
    """Validate one parsed JSON record ``{"id"?, "title"?, "text", "metadata"?}`` into a Document.

    Raises InputError naming ``source`` and ``line``. Public so streaming readers (``pipelines``)
    apply exactly the rules :func:`read_documents` applies.
    """
    if not isinstance(record, dict):
        raise InputError(f"expected an object, got {type(record).__name__}", source=source, line=line)
    text = record.get("text")
    if not isinstance(text, str):
        raise InputError('missing or non-string "text"', source=source, line=line)
    if not text.strip():
        raise InputError('"text" is empty', source=source, line=line)
    doc_id, title, meta = record.get("id"), record.get("title"), record.get("metadata", {})
    if doc_id is not None and (not isinstance(doc_id, (str, int)) or str(doc_id).strip() == ""):
        raise InputError(f'"id" must be a non-empty string, got {doc_id!r}', source=source, line=line)
    if title is not None and not isinstance(title, str):
        raise InputError(f'"title" must be a string, got {title!r}', source=source, line=line)
    if not isinstance(meta, dict):
        raise InputError(f'"metadata" must be an object, got {type(meta).__name__}', source=source, line=line)
    if title:
        meta = {"title": title, **meta}
    return Document(text=text, id=None if doc_id is None else str(doc_id), title=title, metadata=meta)
