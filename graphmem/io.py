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
from graphmem.validate import MAX_METADATA_DEPTH, validate_document

TEXT_SUFFIXES = (".txt", ".md")

#: Why a record was refused when the JSON parser itself ran out of stack (nesting near 1,000
#: levels); public so streaming readers (``pipelines``) say the same.
NESTED_TOO_DEEP = (
    f"JSON nested too deeply to decode (metadata may be at most {MAX_METADATA_DEPTH} levels deep)"
)


def read_documents(path: str | Path) -> list[Document]:
    """Documents from one file or directory (recursively, sorted by path)."""
    p = Path(path)
    if p.is_dir():
        files = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in TEXT_SUFFIXES)
        return [_text_file(f, p) for f in files]
    if not p.exists():
        raise InputError("no such file or directory", source=str(p))
    suffix = p.suffix.lower()
    if suffix == ".jsonl":
        return list(_jsonl(p))
    if suffix == ".json":
        return _json_list(p)
    if suffix in TEXT_SUFFIXES:
        return [_text_file(p, None)]
    raise InputError(
        f"unsupported file type {suffix or '(none)'}: expected .jsonl, .json, .txt, .md or a directory",
        source=str(p),
    )


def text_document_id(path: Path, root: Path | None = None) -> str:
    """The id of the document read from the ``.txt``/``.md`` file ``path``: the name of the
    directory it was found in, then its path below that directory, in POSIX form.

    ``root`` is the directory given (``path`` lies below it, as found by walking it); a file
    given by itself (``root=None``) counts as found in its own directory. The directory is
    resolved, so its name does not depend on how it was typed: ``notes``, ``notes/``,
    ``$PWD/notes``, ``../x/notes`` and a symlink to it all give ``notes/a.txt``, and so does
    ``notes/a.txt`` given alone. The path below it is kept as found (a symlinked file inside
    the directory is named by its link). Ids are relative to the directory given: ingest the
    same directory each time (``notes/sub`` gives ``sub/b.txt`` where ``notes`` gives
    ``notes/sub/b.txt``), and two directories of the same name give the same ids."""
    if root is None or root == path:
        base, below = path.parent, Path(path.name)
    else:
        base, below = root, path.relative_to(root)
    name = base.resolve().name
    return f"{name}/{below.as_posix()}" if name else below.as_posix()


def text_document(p: Path, text: str, root: Path | None = None) -> Document:
    """The document for a ``.txt``/``.md`` file: id = :func:`text_document_id` (also kept as
    ``metadata["path"]``), title = the file name without suffix. Public so streaming readers
    (``pipelines``) build the same documents."""
    doc_id = text_document_id(p, root)
    return Document(text=text, id=doc_id, title=p.stem, metadata={"path": doc_id})


def _text_file(p: Path, root: Path | None) -> Document:
    text = read_text(p)
    if not text.strip():
        raise InputError("file is empty", source=str(p))
    return text_document(p, text, root)


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
        except RecursionError as exc:
            raise InputError(NESTED_TOO_DEEP, source=str(p), line=n) from exc
        yield record_to_document(record, str(p), n)


def _json_list(p: Path) -> list[Document]:
    try:
        data = json.loads(read_text(p))
    except json.JSONDecodeError as exc:
        raise InputError(f"malformed JSON: {exc.msg}", source=str(p), line=exc.lineno) from exc
    except RecursionError as exc:
        raise InputError(NESTED_TOO_DEEP, source=str(p)) from exc
    if not isinstance(data, list):
        raise InputError(f"expected a JSON list of records, got {type(data).__name__}", source=str(p))
    return [record_to_document(r, f"{p} record {i}", None) for i, r in enumerate(data)]


def record_to_document(record: Any, source: str, line: int | None) -> Document:
    """Validate one parsed JSON record ``{"id"?, "title"?, "text", "metadata"?, "time"?}`` into a
    Document (``time``: an ISO-8601 string, see :mod:`graphmem.timeutil`).

    The record's shape is checked here (an integer id becomes its decimal string; a boolean,
    float or other non-string id is refused), the document by
    :func:`graphmem.validate.validate_document`, the check ``Memory.add`` applies.

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
    if doc_id is not None and (isinstance(doc_id, bool) or not isinstance(doc_id, (str, int))):
        shown = json.dumps(doc_id)  # as the record spells it: true, 1.5, [1]
        shown = shown if len(shown) <= 40 else shown[:40] + "..."
        raise InputError(f'"id" must be a string (or an integer), got {shown}', source=source, line=line)
    if doc_id is not None and str(doc_id).strip() == "":
        raise InputError(f'"id" must be a non-empty string, got {doc_id!r}', source=source, line=line)
    if title is not None and not isinstance(title, str):
        raise InputError(f'"title" must be a string, got {title!r}', source=source, line=line)
    if not isinstance(meta, dict):
        raise InputError(f'"metadata" must be an object, got {type(meta).__name__}', source=source, line=line)
    if title:
        meta = {"title": title, **meta}
    stated = record.get("time")
    if stated is not None and not isinstance(stated, str):
        raise InputError(f'"time" must be an ISO-8601 string, got {stated!r}', source=source, line=line)
    doc = Document(
        text=text, id=None if doc_id is None else str(doc_id), title=title, metadata=meta, time=stated
    )
    return validate_document(doc, source, line)
