"""Token-aware splitting of documents into passages.

A document of at most ``max_tokens`` tokens stays one passage (the HippoRAG setting, where each
corpus entry is a passage). Longer documents become windows of ``max_tokens`` tokens that overlap
by ``overlap`` tokens, so a fact spanning a boundary is seen whole in one window. Window ends are
pulled back to the last sentence end inside the window when one exists in its second half, which
keeps sentences intact for the parser. Tokens are counted with :func:`graphmem.text.tokenize`, which
counts each CJK character as a token, so the limit means roughly the same amount of text in any
script.
"""

from __future__ import annotations

from graphmem.config import ChunkConfig
from graphmem.text import token_spans

_SENTENCE_END = frozenset(".!?。！？")


def split_text(text: str, config: ChunkConfig | None = None) -> list[str]:
    """Split ``text`` into passages; returns ``[text.strip()]`` when it is short enough.

    Each window is a slice of the original string, so spacing and punctuation survive.
    """
    config = config if config is not None else ChunkConfig()
    text = text.strip()
    spans = token_spans(text)
    if len(spans) <= config.max_tokens:
        return [text] if text else []
    windows: list[str] = []
    start = 0
    n = len(spans)
    while start < n:
        end = min(start + config.max_tokens, n)
        if end < n:
            end = _sentence_cut(text, spans, start, end)
        windows.append(text[spans[start][0] : spans[end - 1][1]])
        if end >= n:
            break
        start = max(end - config.overlap, start + 1)
    return windows


def _sentence_cut(text: str, spans: list[tuple[int, int]], start: int, end: int) -> int:
    """Move ``end`` back to just after the last sentence-ending token in the window's second half."""
    floor = start + (end - start) // 2
    for i in range(end - 1, floor, -1):
        a, b = spans[i]
        if b - a == 1 and text[a] in _SENTENCE_END:
            return i + 1
    return end
