"""Unicode-safe text handling: entity-name normalisation and a script-aware word tokenizer.

Nothing here strips non-ASCII characters: ``"München"`` normalises to ``"münchen"`` and CJK text
survives. Case folding uses :meth:`str.casefold` after NFKC so that compatibility forms
(full-width letters, ligatures) compare equal.
"""

from __future__ import annotations

import re
import unicodedata

# Ideographic and kana/hangul syllabic scripts are written without spaces; each character is a
# token there, which keeps token counts (and so chunk sizes) meaningful for CJK text.
_CJK = (
    "\u3040-\u30ff"  # hiragana, katakana
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # CJK ideographs
    "\uac00-\ud7af"  # hangul syllables
)
_TOKEN_RE = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+|[^\w\s]", re.UNICODE)
_SPACE_RE = re.compile(r"\s+", re.UNICODE)
# Punctuation allowed to stay inside a name ("AT&T", "O'Neil", "Jean-Luc", "3.5").
_EDGE_PUNCT = "\"'`“”‘’«»„‚()[]{}<>.,;:!?¡¿、。，；：！？·-–—"


def normalize_name(text: str) -> str:
    """Canonical form of an entity or phrase name.

    NFKC, case-folded, whitespace collapsed, surrounding punctuation trimmed. Internal punctuation
    is kept because it often carries meaning ("AT&T", "C++").

    >>> normalize_name("  München ")
    'münchen'
    >>> normalize_name("“The Beatles”")
    'the beatles'
    """
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _SPACE_RE.sub(" ", text).strip()
    return text.strip(_EDGE_PUNCT + " ")


def tokenize(text: str) -> list[str]:
    """Split into word tokens: runs of letters/digits, single punctuation marks, single CJK chars.

    >>> tokenize("Tokyo (東京) is big.")
    ['Tokyo', '(', '東', '京', ')', 'is', 'big', '.']
    """
    return _TOKEN_RE.findall(text)


def token_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of :func:`tokenize`'s tokens, for cutting text without losing its spacing."""
    return [m.span() for m in _TOKEN_RE.finditer(text)]
