"""Incremental reading of one top-level JSON list, element by element, in bounded memory.

``json.load`` holds a whole corpus file and its parsed objects at once; a corpus of millions of
passages then needs gigabytes before the first passage is ingested. :func:`iter_json_list` reads
the file in blocks and decodes one element at a time with the C-accelerated
``json.JSONDecoder.raw_decode``, so memory is bounded by the block size plus the largest single
element. Each element comes with the line it starts on, for error messages.

A syntax error inside the list cannot be skipped safely (where the next element starts is
unknown), so it ends the file with :class:`JSONStreamError`; everything yielded before it was
well formed. The error says which element it hit and, read on leniently to the end of the file,
about how many elements followed it (``unread``), so a report can say what was lost.

An element nested too deeply for the decoder (Python's recursion limit, near 1,000 levels) is
well formed as far as anyone can tell: its end is found by matching brackets, it is yielded
with ``too_deep=True`` and no value, and reading goes on with the next element.
"""

from __future__ import annotations

import codecs
import json
import re
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
# Lenient scanning (for what the decoder cannot read): structure outside strings, and what ends
# or escapes inside one. A raw line break ends a string too: valid JSON never has one there, and
# a malformed element is most often a string left open at the end of its line.
_STRUCTURE = re.compile(r'["\[\]{}]')
_IN_STRING = re.compile(r'["\\\n]')
# Where an element may start again after a malformed one: '{' or '[' after a comma or at a line
# start (the layouts writers produce: one element per line, or indented lists).
_RESTART = re.compile(r"[,\n][ \t\r\n]*([\[{])")


@dataclass(frozen=True)
class JSONElement:
    """One element of the list: its 0-based ``index``, the 1-based ``line`` it starts on, the
    decoded ``value``, and ``bytes_read`` from the file so far (for progress). ``too_deep``: the
    element nests deeper than the decoder can go; ``value`` is None and reading goes on."""

    index: int
    line: int
    value: Any
    bytes_read: int
    too_deep: bool = False


class JSONStreamError(ValueError):
    """The file is not a well-formed JSON list from ``line`` on; ``reason`` says why.

    ``index``: the element the error is in (or that should have come next), when it is one;
    ``unread``: about how many elements followed it, found by reading the rest of the file
    leniently (``None`` when not counted: the error is not inside the list, or the rest of the
    file is not UTF-8)."""

    def __init__(
        self, reason: str, line: int, *, index: int | None = None, unread: int | None = None
    ):
        super().__init__(f"line {line}: {reason}")
        self.reason = reason
        self.line = line
        self.index = index
        self.unread = unread


class _Malformed(JSONStreamError):
    """The element at the buffer position does not decode."""


class _TooDeep(Exception):
    """The element at the buffer position nests deeper than the decoder's recursion limit."""


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
                reason = f"expected ',' or ']' after element {index - 1}, found {found}"
                line = buf.line
                unread = 0 if c == "" else _count_rest(buf)
                raise JSONStreamError(reason, line, index=index, unread=unread)
            buf.advance(buf.pos + 1)
            c = buf.peek()
            if c == "]":
                raise JSONStreamError("trailing comma before ']'", buf.line)
        if c == "":
            raise JSONStreamError(
                "unexpected end of file inside the list", buf.line, index=index, unread=0
            )
        try:
            value, end = _decode_one(buf, decoder)
        except _Malformed as exc:
            raise JSONStreamError(
                exc.reason, exc.line, index=index, unread=_count_rest(buf)
            ) from exc
        except _TooDeep:
            skipped = _container_end(buf, consume=False)
            if skipped is None:
                raise JSONStreamError(
                    "unexpected end of file inside the list", buf.line, index=index, unread=0
                ) from None
            yield JSONElement(index, buf.line, None, buf.bytes_read, too_deep=True)
            buf.advance(skipped)
            index += 1
            continue
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
            raise _Malformed(
                f"malformed JSON: {exc.msg}", buf.line + buf.text.count("\n", buf.pos, exc.pos)
            ) from exc
        except RecursionError:
            raise _TooDeep from None
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


def _container_end(buf: _Buffer, *, consume: bool) -> int | None:
    """End offset in ``buf.text`` of the array or object starting at ``buf.pos``, found by
    matching brackets outside strings (no decoding, no recursion); None at end of file.

    ``consume=False`` keeps the element in the buffer (growing it, within
    :data:`MAX_ELEMENT_CHARS`); ``consume=True`` drops what was scanned as it goes, for counting
    through the rest of a file in bounded memory."""
    depth = 0
    in_string = False
    i = buf.pos
    while True:
        text = buf.text
        m = (_IN_STRING if in_string else _STRUCTURE).search(text, i)
        if m is not None and not (m.group() == "\\" and m.end() >= len(text)):
            c, i = m.group(), m.end()
            if in_string:
                if c == "\\":
                    i += 1  # the escaped character, whatever it is
                else:
                    in_string = False
            elif c == '"':
                in_string = True
            elif c in "[{":
                depth += 1
            else:
                depth -= 1
                if depth <= 0:
                    return i
            continue
        # the rest of the element (or the character after a backslash) is in the next block
        i = m.start() if m is not None else len(text)
        if consume:
            buf.advance(i)
            rel, more = 0, buf.fill()
        else:
            rel, more = i - buf.pos, _grow(buf, 0)
        if not more:
            return None
        i = buf.pos + rel


def _count_rest(buf: _Buffer) -> int | None:
    """About how many list elements follow the malformed one at ``buf.pos``, reading the rest of
    the file (for the report of what a syntax error lost: nothing found here is yielded).

    Where a malformed element ends is unknown, so elements are found again at the next ``{`` or
    ``[`` after a comma or at a line start whose brackets close and which is followed by ``,``,
    or by the ``]`` that ends the file; from there elements are counted by matching brackets, and
    each further damaged stretch is skipped the same way. An estimate: damage can look like an
    element boundary. None when the rest of the file is not UTF-8."""
    count = 0
    synced = False
    try:
        while True:
            if not synced and not _next_start(buf):
                return count
            if buf.peek() not in ("[", "{"):
                synced = False  # a scalar element (not a record) or damage: look further
                continue
            end = _container_end(buf, consume=True)
            if end is None:
                return count  # the file ends inside this element
            buf.advance(end)
            c = buf.peek()
            if c == ",":
                count, synced = count + 1, True
                buf.advance(buf.pos + 1)
                if buf.peek() in ("]", ""):
                    return count
            elif c == "]":
                buf.advance(buf.pos + 1)
                if buf.peek() == "":
                    return count + 1
                synced = False  # a ']' inside the damage, not the end of the list
            elif c == "":
                return count + 1
            else:
                synced = False
    except JSONStreamError:
        return None


def _next_start(buf: _Buffer) -> bool:
    """Move ``buf.pos`` to the next place after it where an element may start (see
    :data:`_RESTART`); False at end of file."""
    start = buf.pos  # a match starts with a separator, so it always moves past buf.pos
    while True:
        m = _RESTART.search(buf.text, start)
        if m is not None:
            buf.advance(m.start(1))
            return True
        # keep a trailing comma or line break (and whitespace): the element may start in the
        # next block
        j = len(buf.text)
        while j > start and buf.text[j - 1] in ",\n \t\r":
            j -= 1
        buf.advance(max(j, buf.pos))
        if not buf.fill():
            return False
        start = buf.pos
