"""Incremental reading of one top-level JSON list, element by element, in bounded memory.

``json.load`` holds a whole corpus file and its parsed objects at once; a corpus of millions of
passages then needs gigabytes before the first passage is ingested. :func:`iter_json_list` reads
the file in blocks and decodes one element at a time with the C-accelerated
``json.JSONDecoder.raw_decode``, so memory is bounded by the block size plus the largest single
element. Each element comes with the line it starts on, for error messages.

A syntax error inside the list cannot be skipped safely (where the next element starts is
unknown), so it ends the file with :class:`JSONStreamError`; everything yielded before it was
well formed.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

__all__ = ["BLOCK_BYTES", "MAX_ELEMENT_CHARS", "JSONElement", "JSONStreamError", "iter_json_list"]

#: Bytes read from the file per block.
BLOCK_BYTES = 1 << 16
#: Largest element accepted (characters): a guard against reading a whole malformed file into
#: memory while looking for the end of an element that never ends.
MAX_ELEMENT_CHARS = 64 << 20

_WHITESPACE = " \t\r\n"


@dataclass(frozen=True)
class JSONElement:
    """One element of the list: its 0-based ``index``, the 1-based ``line`` it starts on, the
    decoded ``value``, and ``bytes_read`` from the file so far (for progress)."""

    index: int
    line: int
    value: Any
    bytes_read: int


class JSONStreamError(ValueError):
    """The file is not a well-formed JSON list from ``line`` on; ``reason`` says why."""

    def __init__(self, reason: str, line: int):
        super().__init__(f"line {line}: {reason}")
        self.reason = reason
        self.line = line


class _Buffer:
    """Decoded text of the file not consumed yet, refilled block by block."""

    def __init__(self, stream: IO[bytes], block: int):
        self._stream = stream
        self._block = block
        self._raw = b""  # bytes read but not decoded yet (an incomplete UTF-8 sequence)
        self._raw_offset = 0  # file offset of self._raw[0]
        self._error: JSONStreamError | None = None  # undecodable bytes met, raised on next fill
        self.text = ""
        self.pos = 0
        self.line = 1  # line number at self.pos
        self.eof = False
        self.bytes_read = 0

    def fill(self, at_least: int = 0) -> bool:
        """Append at least one more block (``at_least`` bytes when larger); False at end of file.

        Bytes that are not UTF-8 end the readable text just before them; the error is raised
        when the parser asks for more, so the elements before them are still yielded."""
        if self._error is not None:
            raise self._error
        if self.eof:
            return False
        data = self._stream.read(max(self._block, at_least))
        self.bytes_read += len(data)
        raw = self._raw + data
        try:
            chunk, used = codecs.utf_8_decode(raw, "strict", not data)
        except UnicodeDecodeError as exc:
            chunk, used = codecs.utf_8_decode(raw[: exc.start], "strict", True)
            line = self.line + self.text.count("\n", self.pos) + chunk.count("\n")
            offset = self._raw_offset + exc.start
            self._error = JSONStreamError(f"not valid UTF-8 (byte offset {offset})", line)
        self._raw = raw[used:]
        self._raw_offset += used
        if not data:
            self.eof = True
        self.text = self.text[self.pos :] + chunk
        self.pos = 0
        return True

    def advance(self, end: int) -> None:
        self.line += self.text.count("\n", self.pos, end)
        self.pos = end

    def peek(self) -> str:
        """The next non-whitespace character ('' at end of file), consuming the whitespace."""
        while True:
            text, pos, n = self.text, self.pos, len(self.text)
            while pos < n and text[pos] in _WHITESPACE:
                pos += 1
            self.advance(pos)
            if pos < n:
                return text[pos]
            if not self.fill():
                return ""


def iter_json_list(stream: IO[bytes], *, block: int = BLOCK_BYTES) -> Iterator[JSONElement]:
    """Yield the elements of the JSON list in ``stream`` (binary, UTF-8) one at a time.

    Raises:
        JSONStreamError: the content is not a list, is malformed, is not UTF-8, has an element
            larger than :data:`MAX_ELEMENT_CHARS`, or has data after the closing bracket.
    """
    buf = _Buffer(stream, block)
    decoder = json.JSONDecoder()
    first = buf.peek()
    if first == "\ufeff":  # a byte-order mark is tolerated, as json.load does not
        buf.advance(buf.pos + 1)
        first = buf.peek()
    if first != "[":
        what = "an empty file" if first == "" else f"{first!r}"
        raise JSONStreamError(f"expected a JSON list of records, found {what}", buf.line)
    buf.advance(buf.pos + 1)
    index = 0
    while True:
        c = buf.peek()
        if c == "]":
            buf.advance(buf.pos + 1)
            break
        if index > 0:
            if c != ",":
                found = "end of file" if c == "" else repr(c)
                raise JSONStreamError(
                    f"expected ',' or ']' after element {index - 1}, found {found}", buf.line
                )
            buf.advance(buf.pos + 1)
            c = buf.peek()
            if c == "]":
                raise JSONStreamError("trailing comma before ']'", buf.line)
        if c == "":
            raise JSONStreamError("unexpected end of file inside the list", buf.line)
        value, end = _decode_one(buf, decoder)
        yield JSONElement(index, buf.line, value, buf.bytes_read)
        buf.advance(end)
        index += 1
    trailing = buf.peek()
    if trailing != "":
        raise JSONStreamError(f"unexpected {trailing!r} after the closing ']'", buf.line)


def _decode_one(buf: _Buffer, decoder: json.JSONDecoder) -> tuple[Any, int]:
    """Decode the element starting at ``buf.pos``, reading more of the file while it may be
    incomplete. Returns the value and the end offset in ``buf.text``."""
    want = 0
    while True:
        try:
            value, end = decoder.raw_decode(buf.text, buf.pos)
        except json.JSONDecodeError as exc:
            if _grow(buf, want):
                want = 2 * max(want, BLOCK_BYTES)
                continue
            raise JSONStreamError(
                f"malformed JSON: {exc.msg}", buf.line + buf.text.count("\n", buf.pos, exc.pos)
            ) from exc
        # A number or literal ending exactly at the end of the buffer may continue in the file.
        if end == len(buf.text) and _grow(buf, want):
            want = 2 * max(want, BLOCK_BYTES)
            continue
        return value, end


def _grow(buf: _Buffer, want: int) -> bool:
    if len(buf.text) - buf.pos > MAX_ELEMENT_CHARS:
        raise JSONStreamError(
            f"element larger than {MAX_ELEMENT_CHARS} characters (or never closed)", buf.line
        )
    return buf.fill(want)
