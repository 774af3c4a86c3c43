import pytest

from graphmem.chunking import split_text
from graphmem.config import ChunkConfig
from graphmem.text import tokenize


def test_short_text_stays_whole():
    assert split_text("  One short passage.  ") == ["One short passage."]
    assert split_text("   ") == []


def test_long_text_windows_overlap_and_cover_everything():
    words = [f"w{i}" for i in range(50)]
    text = " ".join(words)
    chunks = split_text(text, ChunkConfig(max_tokens=20, overlap=5))
    assert [len(tokenize(c)) for c in chunks] == [20, 20, 20]
    assert chunks[0].split()[-5:] == chunks[1].split()[:5]
    assert chunks[1].split()[-5:] == chunks[2].split()[:5]
    assert chunks[-1].split()[-1] == "w49"


def test_windows_prefer_sentence_ends():
    text = "A b c d e f g. H i j k l m n o p q r s t u v w x y z."
    chunks = split_text(text, ChunkConfig(max_tokens=12, overlap=2))
    assert chunks[0] == "A b c d e f g."


def test_cjk_counts_characters():
    text = "東京" * 30  # 60 tokens
    chunks = split_text(text, ChunkConfig(max_tokens=25, overlap=5))
    assert "".join(c for c in chunks[0]) == "東京" * 12 + "東"
    assert all(len(tokenize(c)) <= 25 for c in chunks)


def test_config_validation():
    with pytest.raises(ValueError, match="overlap"):
        ChunkConfig(max_tokens=20, overlap=10)
    with pytest.raises(ValueError, match="max_tokens"):
        ChunkConfig(max_tokens=2)


def test_a_run_without_whitespace_is_cut_into_pieces_of_max_run_chars():
    """A run of letters longer than ``max_run_chars`` counts as one token per piece, so a
    window never exceeds max_tokens pieces; windows are still slices of the text."""
    config = ChunkConfig(max_tokens=10, overlap=2, max_run_chars=5)
    text = "Start. " + "a" * 47 + " end."
    chunks = split_text(text, config)
    assert chunks == [
        "Start. " + "a" * 40,  # 2 tokens + 8 pieces
        "a" * 17 + " end.",  # pieces 6 and 7 again (the overlap of 2), then the tail
    ]
    assert split_text("a" * 50, config) == ["a" * 50]  # 10 pieces: still one passage
    assert split_text("a" * 51, config) == ["a" * 50, "a" * 11]


def test_default_run_limit_leaves_real_words_alone():
    assert ChunkConfig().max_run_chars == 100
    word = "Donaudampfschiffahrtselektrizitätenhauptbetriebswerkbauunterbeamtengesellschaft"
    assert split_text(" ".join([word] * 200)) == [" ".join([word] * 200)]


def test_a_long_whitespace_gap_counts_as_pieces_and_windows_are_stripped():
    config = ChunkConfig(max_tokens=8, overlap=1, max_run_chars=4)
    text = "one two" + " " * 30 + "three four"
    chunks = split_text(text, config)
    assert chunks == ["one two", "three four"]
    assert all(len(c) <= (2 * 8 - 1) * 4 for c in chunks)


def test_run_limit_validation():
    with pytest.raises(ValueError, match="max_run_chars"):
        ChunkConfig(max_run_chars=0)
