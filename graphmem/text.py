"""Unicode-safe text handling: entity-name normalisation and a script-aware word tokenizer.

Nothing here strips non-ASCII characters: ``"München"`` normalises to ``"münchen"`` and CJK text
survives. Case folding uses :meth:`str.casefold` after NFKC so that compatibility forms
(full-width letters, ligatures) compare equal. Control characters (Unicode category ``Cc``: C0,
DEL and C1) never belong in a name and are dropped; :func:`printable` shows them escaped.
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
# Unicode category Cc is exactly C0 (U+0000-U+001F), DEL (U+007F) and C1 (U+0080-U+009F).
_CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f]")
# What a terminal must not receive raw: controls (escape sequences start with ESC or C1 CSI),
# bidirectional embeddings/overrides/isolates (they reorder the rest of the line) and lone
# surrogates (not encodable: writing one raises UnicodeEncodeError).
_UNPRINTABLE_RE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_SHORT_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}
# Punctuation allowed to stay inside a name ("AT&T", "O'Neil", "Jean-Luc", "3.5").
_EDGE_PUNCT = "\"'`“”‘’«»„‚()[]{}<>.,;:!?¡¿、。，；：！？·-–—"


def normalize_name(text: str) -> str:
    """Canonical form of an entity or phrase name.

    NFKC, case-folded, whitespace collapsed (control characters that are line or field breaks,
    such as tab, newline or NEL, count as whitespace), other control characters dropped,
    surrounding punctuation trimmed. Internal punctuation is kept because it often carries
    meaning ("AT&T", "C++"); format characters such as the zero-width joiner are kept because
    Indic scripts and emoji sequences need them.

    >>> normalize_name("  München ")
    'münchen'
    >>> normalize_name("“The Beatles”")
    'the beatles'
    >>> normalize_name("Lon\\x00don")
    'london'
    """
    text = _SPACE_RE.sub(" ", unicodedata.normalize("NFKC", text).casefold())
    if _CONTROL_RE.search(text):
        text = _SPACE_RE.sub(" ", _CONTROL_RE.sub("", text))
    return text.strip().strip(_EDGE_PUNCT + " ")


def printable(text: str) -> str:
    """``text`` safe to write to a terminal: control characters, bidirectional overrides and
    lone surrogates shown as escapes (``\\x1b``, ``\\n``, ``\\u202e``, ``\\ud800``); everything
    else, in any script, unchanged.

    Stored text is whatever the input held; written raw, an ANSI sequence in a passage could
    clear the screen or recolour and fake the output around it.

    >>> printable("red \\x1b[31mtext")
    'red \\\\x1b[31mtext'
    """
    return _UNPRINTABLE_RE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    c = match.group()
    if c in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[c]
    return f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}"


def tokenize(text: str) -> list[str]:
    """Split into word tokens: runs of letters/digits, single punctuation marks, single CJK chars.

    >>> tokenize("Tokyo (東京) is big.")
    ['Tokyo', '(', '東', '京', ')', 'is', 'big', '.']
    """
    return _TOKEN_RE.findall(text)


def token_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of :func:`tokenize`'s tokens, for cutting text without losing its spacing."""
    return [m.span() for m in _TOKEN_RE.finditer(text)]
