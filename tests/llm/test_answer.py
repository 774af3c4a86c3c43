"""Answer and recognition-filter helpers: prompt contents and exact parsing."""

from __future__ import annotations

import json

import pytest

from graphmem.errors import InputError
from graphmem.llm import (
    FILTER_RESPONSE_FORMAT,
    ParseError,
    build_answer_prompt,
    build_filter_prompt,
    parse_citations,
    parse_filter,
)

CANDIDATES = [
    ("odile marchetti", "born in", "pellavon"),
    ("pellavon", "lies in", "askel valley"),
    ("salt lantern", "written by", "odile marchetti"),
    ("askel valley", "is in", "north renmark"),
    ("lowmoor signal", "formed in", "1998"),
]


def test_answer_prompt_numbers_passages():
    messages = build_answer_prompt(
        "  Where was Odile born? ", ["Odile was born in Pellavon.\n", "Pellavon is a town."]
    )
    assert [m["role"] for m in messages] == ["system", "user"]
    assert "[2]" in messages[0]["content"] and "unknown" in messages[0]["content"]
    assert messages[1]["content"] == (
        "Passages:\n[1] Odile was born in Pellavon.\n\n[2] Pellavon is a town.\n\n"
        "Question: Where was Odile born?"
    )


def test_answer_prompt_rejects_bad_input():
    with pytest.raises(InputError, match="question must be a non-empty string"):
        build_answer_prompt("  ", ["x"])
    with pytest.raises(InputError, match=r"^passages\[1\]: expected str, got NoneType$"):
        build_answer_prompt("q?", ["x", None])  # type: ignore[list-item]


@pytest.mark.parametrize(
    ("text", "n", "expected"),
    [
        ("Pellavon [2]", 3, [1]),
        ("Pellavon [2][1] and again [2]", 3, [1, 0]),
        ("Askel Valley [1, 3]", 3, [0, 2]),
        ("Askel Valley [1; 3]", 3, [0, 2]),
        ("See [2-4].", 5, [1, 2, 3]),
        ("See [Passage 3] and [passages 1, 2]", 3, [2, 0, 1]),
        ("Out of range [0] [4] [9], kept [3]", 3, [2]),
        ("No citation at all", 3, []),
        ("A list [a, b] and a year 1998", 3, []),
        ("Reversed range [3-1]", 3, [2]),
    ],
)
def test_parse_citations(text, n, expected):
    assert parse_citations(text, n) == expected


def test_filter_prompt_lists_candidates_as_json():
    messages = build_filter_prompt("Where was the author of The Salt Lantern born?", CANDIDATES[:2])
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    assert "at most 4" in messages[0]["content"]
    json.loads(messages[2]["content"])  # the worked example's answer is valid JSON
    assert messages[3]["content"] == (
        "Question: Where was the author of The Salt Lantern born?\n\nCandidate facts: "
        '{"facts": [["odile marchetti", "born in", "pellavon"], '
        '["pellavon", "lies in", "askel valley"]]}'
    )
    assert FILTER_RESPONSE_FORMAT["type"] == "json_schema"


def test_filter_prompt_rejects_malformed_fact():
    with pytest.raises(InputError, match=r"^facts\[1\]: a fact must be"):
        build_filter_prompt("q?", [("a", "b", "c"), ("a", "b")])  # type: ignore[list-item]


def test_parse_filter_exact_and_normalised_matches_in_reply_order():
    reply = json.dumps(
        {
            "facts": [
                ["salt lantern", "written by", "odile marchetti"],
                ["Odile Marchetti", "Born  in", "Pellavon."],  # normalised match
                ["odile marchetti", "born in", "paris"],  # edited by the model: ignored
                ["salt lantern", "written by", "odile marchetti"],  # repeat: ignored
                {"subject": "pellavon", "predicate": "lies in", "object": "askel valley"},
                ["pellavon", "lies in"],  # malformed: ignored
            ]
        }
    )
    assert parse_filter(reply, CANDIDATES) == [2, 0, 1]


def test_parse_filter_keeps_at_most_four():
    reply = json.dumps({"facts": [list(c) for c in CANDIDATES]})
    assert parse_filter(reply, CANDIDATES) == [0, 1, 2, 3]
    assert parse_filter(reply, CANDIDATES, max_keep=2) == [0, 1]


def test_parse_filter_tolerates_fences_and_bare_lists():
    assert parse_filter('```json\n[["lowmoor signal", "formed in", "1998"]]\n```', CANDIDATES) == [
        4
    ]
    assert parse_filter('{"facts": []}', CANDIDATES) == []
    truncated = '{"facts": [["askel valley", "is in", "north renmark"], ["pellavon", "lies'
    assert parse_filter(truncated, CANDIDATES) == [3]


def test_parse_filter_unusable_reply_raises():
    with pytest.raises(ParseError, match="^filter reply has no JSON: 'None of them.'$"):
        parse_filter("None of them.", CANDIDATES)
    with pytest.raises(ParseError, match="filter reply has no 'facts' list"):
        parse_filter('{"relevant": []}', CANDIDATES)
    with pytest.raises(InputError, match="max_keep must be >= 1, got 0"):
        parse_filter('{"facts": []}', CANDIDATES, max_keep=0)
