"""Token-aware splitting of documents into passages.

A document of at most ``max_tokens`` tokens stays one passage (the HippoRAG setting, where each
corpus entry is a passage). Longer documents become windows of ``max_tokens`` tokens that overlap
by ``overlap`` tokens, so a fact spanning a boundary is seen whole in one window. Window ends are
pulled back to the last sentence end inside the window when one exists in its second half, which
keeps sentences intact for the parser. Tokens are counted with :func:`graphmem.text.tokenize`, which
counts each CJK character as a token, so the limit means roughly the same amount of text in any
script.

A token may stand for at most ``max_run_chars`` characters: a longer run without whitespace or
punctuation, or a longer stretch of whitespace between tokens, counts as one token per
``max_run_chars`` characters (see :class:`graphmem.config.ChunkConfig`). So the length of every
passage in characters is bounded too, whatever the input, and no passage is too long for the
parser.
"""

from __future__ import annotations

from graphmem.config import ChunkConfig
from graphmem.text import token_spans

_SENTENCE_END = frozenset(".!?。！？")


def split_text(text: str, config: ChunkConfig | None = None) -> list[str]:
    """Split ``text`` into passages; returns ``[text.strip()]`` when it is short enough.

    Each window is a slice of the original string (stripped), so spacing and punctuation
    survive.
    """
    config = config if config is not None else ChunkConfig()
    text = text.strip()
    spans = bounded_spans(text, config.max_run_chars)
    if len(spans) <= config.max_tokens:
        return [text] if text else []
    windows: list[str] = []
    start = 0
    n = len(spans)
    while start < n:
        end = min(start + config.max_tokens, n)
        if end < n:
            end = _sentence_cut(text, spans, start, end)
        window = text[spans[start][0] : spans[end - 1][1]].strip()
        if window:  # a window of whitespace pieces only holds nothing
            windows.append(window)
        if end >= n:
            break
        start = max(end - config.overlap, start + 1)
    return windows


def bounded_spans(text: str, limit: int) -> list[tuple[int, int]]:
    """Character spans of the tokens of ``text`` (:func:`graphmem.text.token_spans`), where a
    token longer than ``limit`` characters, and a gap of more than ``limit`` whitespace characters
    between two tokens, become consecutive pieces of at most ``limit`` characters.

    >>> bounded_spans("ab cdefg", 2)
    [(0, 2), (3, 5), (5, 7), (7, 8)]
    """
    out: list[tuple[int, int]] = []
    previous = 0
    for a, b in token_spans(text):
        if a - previous > limit:
            out.extend((i, min(i + limit, a)) for i in range(previous, a, limit))
        if b - a > limit:
            out.extend((i, min(i + limit, b)) for i in range(a, b, limit))
        else:
            out.append((a, b))
        previous = b
    return out


def _sentence_cut(text: str, spans: list[tuple[int, int]], start: int, end: int) -> int:
    """Move ``end`` back to just after the last sentence-ending token in the window's second half."""
    floor = start + (end - start) // 2
    for i in range(end - 1, floor, -1):
        a, b = spans[i]
        if b - a == 1 and text[a] in _SENTENCE_END:
            return i + 1
    return end
