"""Tolerant JSON extraction: every reply shape a model produces, and what is recovered."""

from __future__ import annotations

import pytest

from graphmem.llm import ParseError, find_json, parse_json


@pytest.mark.parametrize(
    ("text", "value", "how"),
    [
        # plain JSON, with surrounding whitespace
        ('  {"entities": ["Ada", "London"]}\n', {"entities": ["Ada", "London"]}, "whole"),
        ('[["a", "b", "c"]]', [["a", "b", "c"]], "whole"),
        # JSON encoded twice (a JSON string holding JSON)
        ('"{\\"entities\\": [\\"q\\"]}"', {"entities": ["q"]}, "whole"),
        # fenced, with a language tag and prose around
        (
            'Here you go:\n```json\n{"entities": ["Ada"]}\n```\nAnything else?',
            {"entities": ["Ada"]},
            "fence",
        ),
        # fenced without a language tag
        ('```\n["x", "y"]\n```', ["x", "y"], "fence"),
        # prose before and after, with a stray bracket that is itself valid JSON
        (
            'As passage [1] says: {"facts": [["a", "b", "c"]]} - that is all.',
            {"facts": [["a", "b", "c"]]},
            "embedded",
        ),
        # braces inside strings do not confuse the scan
        (
            'Result: {"text": "a } and ] and \\" quote", "n": 2} done',
            {"text": 'a } and ] and " quote', "n": 2},
            "embedded",
        ),
        # a mismatched bracket in the prose is skipped
        ('x [1} y {"a": 1}', {"a": 1}, "embedded"),
    ],
)
def test_complete_shapes(text, value, how):
    found = find_json(text)
    assert found is not None
    assert (found.value, found.how, found.repaired) == (value, how, False)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        # cut inside the third triple: the partial triple is a record and is dropped whole
        (
            '{"triples": [["a", "b", "c"], ["d", "e", "f"], ["g", "h"',
            {"triples": [["a", "b", "c"], ["d", "e", "f"]]},
        ),
        # cut inside a string element: complete strings are kept
        (
            '{"entities": ["Ada Lovelace", "London", "Lord By',
            {"entities": ["Ada Lovelace", "London"]},
        ),
        # cut right after a complete element
        ('{"entities": ["Ada", "London"', {"entities": ["Ada", "London"]}),
        # cut inside a number: it might have had more digits
        ('{"a": "x", "b": [1, 23', {"a": "x", "b": [1]}),
        # the second member was never completed
        (
            '{"entities": ["Ada"], "triples": [["Ada", "born in", "Lon',
            {"entities": ["Ada"], "triples": []},
        ),
        # a top-level array of records
        ('[["a", "b", "c"], ["d"', [["a", "b", "c"]]),
        # objects as array elements are records too
        ('[{"s": "a"}, {"s": "b", "p"', [{"s": "a"}]),
        # truncated inside an unclosed code fence, after prose
        (
            'Sure.\n```json\n{"triples": [["a", "b", "c"], ["d", "e"',
            {"triples": [["a", "b", "c"]]},
        ),
        # only the opening survived: an empty list under the key
        ('{"triples": [', {"triples": []}),
        # trailing commas are repaired the same way
        ('{"entities": ["a", "b",]}', {"entities": ["a", "b"]}),
    ],
)
def test_truncated_and_repaired(text, value):
    found = find_json(text)
    assert found is not None
    assert (found.value, found.how, found.repaired) == (value, "repaired", True)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "I cannot extract anything from this passage.",
        "[see below] nothing follows",
        "42",
        '"just a string"',
        "{",
        "[[",
        "```json\n\n```",
    ],
)
def test_nothing_usable(text):
    assert find_json(text) is None
    with pytest.raises(ParseError, match="no JSON object or array in model reply"):
        parse_json(text)


def test_parse_error_quotes_the_reply():
    with pytest.raises(ParseError) as info:
        parse_json("Sorry,\n  I   can't.")
    assert str(info.value) == 'no JSON object or array in model reply: "Sorry, I can\'t."'
    assert info.value.preview == "Sorry, I can't."


def test_longest_payload_wins_over_incidental_json():
    text = 'Sources [1][2]. Output: {"entities": ["A", "B", "C"]}'
    assert parse_json(text) == {"entities": ["A", "B", "C"]}


def test_non_string_input_is_rejected():
    with pytest.raises(TypeError, match="find_json\\(\\) expects str, got bytes"):
        find_json(b"{}")  # type: ignore[arg-type]
