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
