"""Streaming input: documents from ``.jsonl``, ``.json`` lists and directories of ``.txt``/``.md``.

:func:`iter_records` yields one item per input record, in input order, as the files are read:
a :class:`Record` (a valid :class:`graphmem.Document` plus where it came from) or a
:class:`BadRecord` (where, and what is wrong). Nothing is read ahead beyond one block of the
current file, so memory stays bounded whatever the input size:

* ``.jsonl``: line by line; a bad line is reported and reading goes on with the next line;
* ``.json``: one list, element by element (:mod:`pipelines.jsonstream`); an element that is not
  a valid record (nested too deeply to decode included) is reported and skipped, but a syntax
  error ends that file (where the next element starts is unknown): its bad record says which
  record it hit and about how many came after it unread (``BadRecord.unread``);
* directories: ``.txt``/``.md`` files found recursively, sorted by path, one document each,
  whose id does not depend on how the directory was typed (:func:`graphmem.io.text_document_id`:
  the resolved directory's name, then the path below it).

A ``.jsonl`` file with no record at all (empty or blank lines only) and a ``.json`` file holding
an empty list are reported as a bad record ``FILE: no records`` (as an empty ``.txt`` file is
``FILE: file is empty``): an input that contributes nothing is most likely the wrong file, and
``--strict`` should stop on it.

Validation and document ids are graphmem's own (:func:`graphmem.io.record_to_document`, which
ends in :func:`graphmem.validate.validate_document`, the check ``Memory.add`` applies, and
:func:`graphmem.io.text_document`), so a record is refused here exactly when ``Memory.add``
would refuse it, before it is batched: one poison record is one bad record, and the rest of its
batch is committed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from graphmem.errors import InputError
from graphmem.io import (
    NESTED_TOO_DEEP,
    TEXT_SUFFIXES,
    read_text,
    record_to_document,
    text_document,
)
from graphmem.text import printable
from graphmem.types import Document
from graphmem.validate import validate_document
from pipelines.jsonstream import JSONStreamError, iter_json_list

__all__ = ["BadRecord", "InputFile", "Record", "count_records", "expand_paths", "iter_records"]

SUFFIXES = (".jsonl", ".json", *TEXT_SUFFIXES)


@dataclass(frozen=True)
class Record:
    """A valid input document; ``source`` is its file, ``line`` the 1-based line it starts on
    (``None`` for a whole text file)."""

    document: Document
    source: str
    line: int | None


@dataclass(frozen=True)
class BadRecord:
    """An input record that cannot be ingested: file, line (when known) and reason.

    ``unread``: records after this one that were not read because it ended its file (a syntax
    error in a ``.json`` list), counted by reading on leniently: an estimate."""

    source: str
    line: int | None
    reason: str
    unread: int = 0

    def __str__(self) -> str:
        # the source is a path as the OS gave it: undecodable bytes of a file name arrive as
        # lone surrogates, which no terminal or UTF-8 file can take, so they are shown escaped
        source = printable(self.source)
        where = f"{source}:{self.line}" if self.line is not None else source
        return f"{where}: {self.reason}"


Item = Record | BadRecord


@dataclass(frozen=True)
class InputFile:
    """A file to read and the directory argument it was found in (``None``: given by itself),
    which a ``.txt``/``.md`` document's id is relative to."""

    path: Path
    root: Path | None = None


def expand_paths(paths: Sequence[str | Path]) -> list[InputFile]:
    """The input files, in order: each argument, directories replaced by their ``.txt``/``.md``
    files (recursive, sorted). Checked before anything is read or written.

    Raises:
        InputError: a path does not exist or has an unsupported suffix (naming it).
    """
    if not paths:
        raise InputError("no input paths given")
    files: list[InputFile] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found = sorted(
                f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in TEXT_SUFFIXES
            )
            files.extend(InputFile(f, p) for f in found)
        elif not p.exists():
            raise InputError("no such file or directory", source=str(p))
        elif p.suffix.lower() not in SUFFIXES:
            raise InputError(
                f"unsupported file type {p.suffix or '(none)'}: expected .jsonl, .json, .txt, "
                ".md or a directory",
                source=str(p),
            )
        else:
            files.append(InputFile(p))
    return files


def _input(f: InputFile | Path) -> InputFile:
    return f if isinstance(f, InputFile) else InputFile(f)


def iter_records(files: Iterable[InputFile | Path]) -> Iterator[Item]:
    """Records of every file in ``files`` (as :func:`expand_paths` returns them; a bare path
    counts as given by itself), in order."""
    for item in map(_input, files):
        f = item.path
        suffix = f.suffix.lower()
        if suffix == ".jsonl":
            yield from _jsonl(f)
        elif suffix == ".json":
            yield from _json_list(f)
        else:
            yield _text_file(f, item.root)


def count_records(files: Iterable[InputFile | Path]) -> int:
    """How many records :func:`iter_records` will yield (good or bad), reading the files once
    without building documents: cheap next to ingestion, used for a progress bar's total."""
    n = 0
    for f in (i.path for i in map(_input, files)):
        suffix = f.suffix.lower()
        if suffix == ".jsonl":
            with f.open("rb") as fh:
                n += max(1, sum(1 for line in fh if line.strip()))  # "no records" counts one
        elif suffix == ".json":
            with f.open("rb") as fh:
                elements = 0
                try:
                    for _ in iter_json_list(fh):
                        elements += 1
                except JSONStreamError:
                    elements += 1
                n += max(1, elements)
        else:
            n += 1
    return n


def _jsonl(path: Path) -> Iterator[Item]:
    source = str(path)
    records = 0
    with path.open("rb") as fh:
        for n, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            records += 1
            try:
                line = raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError as exc:
                yield BadRecord(source, n, f"not valid UTF-8 (byte {exc.start} of the line)")
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                yield BadRecord(source, n, f"malformed JSON: {exc.msg} (column {exc.colno})")
                continue
            except RecursionError:
                yield BadRecord(source, n, NESTED_TOO_DEEP)
                continue
            yield _validated(value, source, n)
    if records == 0:
        yield BadRecord(source, None, "no records")


def _json_list(path: Path) -> Iterator[Item]:
    source = str(path)
    elements = 0
    with path.open("rb") as fh:
        try:
            for element in iter_json_list(fh):
                elements += 1
                if element.too_deep:
                    item: Item = BadRecord(source, element.line, NESTED_TOO_DEEP)
                else:
                    item = _validated(element.value, source, element.line)
                if isinstance(item, BadRecord):
                    item = BadRecord(source, item.line, f"record {element.index}: {item.reason}")
                yield item
        except JSONStreamError as exc:
            yield _stream_error(source, exc)
            return
    if elements == 0:
        yield BadRecord(source, None, "no records")


def _stream_error(source: str, exc: JSONStreamError) -> BadRecord:
    """The bad record for a syntax error that ends a ``.json`` file: where, which record, and
    about how many records after it were not read."""
    reason = exc.reason if exc.index is None else f"record {exc.index}: {exc.reason}"
    if exc.unread is None:
        rest = "rest of the file skipped"
    elif exc.unread == 0:
        rest = "rest of the file skipped: no more records found after it"
    else:
        rest = f"rest of the file skipped: about {exc.unread} more records not read"
    return BadRecord(source, exc.line, f"{reason}; {rest}", unread=exc.unread or 0)


def _validated(value: object, source: str, line: int) -> Item:
    try:
        return Record(record_to_document(value, source, line), source, line)
    except InputError as exc:
        return BadRecord(source, line, exc.reason)


def _text_file(path: Path, root: Path | None) -> Item:
    try:
        text = read_text(path)
    except InputError as exc:
        return BadRecord(str(path), exc.line, exc.reason)
    except OSError as exc:
        return BadRecord(str(path), None, f"cannot read: {exc.strerror or exc}")
    if not text.strip():
        return BadRecord(str(path), None, "file is empty")
    try:
        document = validate_document(text_document(path, text, root), str(path))
    except InputError as exc:
        return BadRecord(str(path), None, exc.reason)
    return Record(document, str(path), None)
