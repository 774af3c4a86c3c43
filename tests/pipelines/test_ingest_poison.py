"""Poison records through `graphmem ingest`: each is a bad record `FILE:LINE: what is wrong`,
skipped and counted, and the good records around it (in the same batch too) are committed."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from ingest_helpers import connect_ro, doc_count

from pipelines.cli import ingest
from pipelines.sources import BadRecord, Record, expand_paths, iter_records


def deep_json(depth: int) -> str:
    return '{"m": ' * depth + '"leaf"' + "}" * depth


# One JSONL line per case, as a careless or hostile producer writes them (JSON escapes kept
# literally, so "\ud800" reaches the reader as a lone surrogate).
POISON = [
    ('{"id": "g1", "text": "Velka Stroud was born in Saltmere."}', None),
    (
        '{"id": "s1", "text": "bad \\ud800 text"}',
        "text contains a lone surrogate (\\ud800 at character 4), which is not valid Unicode",
    ),
    ('{"id": "g2", "text": "Saltmere lies on the Ferrow Coast."}', None),
    (
        '{"id": "s2", "title": "\\ud800", "text": "Kelvaro is a port."}',
        "title contains a lone surrogate (\\ud800 at character 0), which is not valid Unicode",
    ),
    (
        '{"id": "s3", "text": "Kelvaro is a port.", "metadata": {"\\ud800": 1}}',
        ('key "\\ud800" of metadata contains a lone surrogate (\\ud800 at character 0), which is '
        "not valid Unicode"),
    ),
    (
        '{"id": "s4", "text": "Kelvaro is a port.", "metadata": {"k": "\\udfff"}}',
        ('metadata["k"] contains a lone surrogate (\\udfff at character 0), which is not valid '
        "Unicode"),
    ),
    (
        '{"id": "\\ud800", "text": "Kelvaro is a port."}',
        "id contains a lone surrogate (\\ud800 at character 0), which is not valid Unicode",
    ),
    (
        '{"id": "d1", "text": "Kelvaro is a port.", "metadata": ' + deep_json(5000) + "}",
        "JSON nested too deeply to decode (metadata may be at most 32 levels deep)",
    ),
    (
        '{"id": "d2", "text": "Kelvaro is a port.", "metadata": ' + deep_json(900) + "}",
        'metadata["m"]["m"]["m"]...["m"] (level 33) is nested deeper than 32 levels',
    ),
    (
        '{"id": "n1", "text": "Kelvaro is a port.", "metadata": {"score": NaN}}',
        'metadata["score"] is nan: only finite numbers are allowed',
    ),
    (
        '{"id": "n2", "text": "Kelvaro is a port.", "metadata": {"w": [Infinity]}}',
        'metadata["w"][0] is inf: only finite numbers are allowed',
    ),
    ('{"id": true, "text": "Kelvaro is a port."}', '"id" must be a string (or an integer), got true'),
    (
        '{"id": "z1", "text": "\\u200b\\u200d\\u0001"}',
        "text is empty: only control or zero-width characters",
    ),
    (
        json.dumps({"id": "big", "text": "Orrin Tarrow built it. " + "x" * 3_000_000 + " The end."}),
        None,
    ),
    ('{"id": "g3", "text": "Orrin Tarrow built the Kelvaro lighthouse."}', None),
]


def test_each_poison_line_is_a_bad_record_and_the_good_ones_are_committed(
    tmp_path: Path, shared_models: None
) -> None:
    corpus = tmp_path / "poison.jsonl"
    corpus.write_text("\n".join(line for line, _ in POISON) + "\n", encoding="utf-8")
    store, report_path = tmp_path / "mem", tmp_path / "report.json"
    args = [str(corpus), "--store", str(store), "--workers", "0", "--batch-size", "4"]
    result = CliRunner().invoke(ingest, [*args, "--report", str(report_path)])
    assert result.exit_code == 0, result.output
    expected = [f"{corpus}:{n}: {why}" for n, (_, why) in enumerate(POISON, start=1) if why]
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert report["bad_record_examples"] == expected
    assert (report["bad_records"], report["documents_read"], report["documents_added"]) == (11, 4, 4)
    assert report["ok"] is True
    assert "read 4 documents: added 4, skipped 0 already stored, 11 bad records skipped" in (
        result.stdout
    )
    for line in expected[:10]:  # the summary lists ten, the report all
        assert f"bad record: {line}" in result.stdout
    assert "... 1 more bad records (see the JSON report)" in result.stdout
    with connect_ro(store) as c:
        assert sorted(d for (d,) in c.execute("SELECT doc_id FROM documents")) == [
            "big",
            "g1",
            "g2",
            "g3",
        ]
        assert c.execute("SELECT count(*) FROM chunks").fetchone()[0] == 3 + 179
        longest = c.execute("SELECT max(length(text)) FROM chunks").fetchone()[0]
    assert longest == 20_000  # 200 pieces of ChunkConfig.max_run_chars
    # a rerun fails no differently: same bad records, nothing new
    again = CliRunner().invoke(ingest, args)
    assert again.exit_code == 0, again.output
    assert "read 4 documents: added 0, skipped 4 already stored, 11 bad records skipped" in (
        again.stdout
    )


def _items(*paths: Path) -> list[Record | BadRecord]:
    return list(iter_records(expand_paths(list(paths))))


def test_a_deep_element_of_a_json_list_is_skipped_and_the_rest_read(tmp_path: Path) -> None:
    f = tmp_path / "corpus.json"
    f.write_text(
        '[{"title": "A", "text": "First."},\n'
        ' {"title": "B", "text": "Deep.", "metadata": ' + deep_json(5000) + "},\n"
        ' {"title": "C", "text": "Wide.", "metadata": ' + deep_json(40) + "},\n"
        ' {"title": "D", "text": "Last."}]\n',
        encoding="utf-8",
    )
    items = _items(f)
    assert [str(i) if isinstance(i, BadRecord) else i.document.text for i in items] == [
        "First.",
        (f"{f}:2: record 1: JSON nested too deeply to decode (metadata may be at most 32 levels "
        "deep)"),
        (f'{f}:3: record 2: metadata["m"]["m"]["m"]...["m"] (level 33) is nested deeper than 32 '
        "levels"),
        "Last.",
    ]


def test_a_malformed_json_element_reports_how_many_records_were_not_read(tmp_path: Path) -> None:
    f = tmp_path / "broken.json"
    f.write_text(
        '[{"text": "one"},\n'
        ' {"text": "two", "metadata": {"a": [1, 2]}},\n'
        ' {"text": "thr\n'
        ' {"text": "four, with {braces} and [brackets], and \\"quotes\\""},\n'
        ' {"text": "five"}]\n',
        encoding="utf-8",
    )
    items = _items(f)
    assert [i.document.text for i in items if isinstance(i, Record)] == ["one", "two"]
    [bad] = [i for i in items if isinstance(i, BadRecord)]
    assert str(bad) == (
        f"{f}:3: record 2: malformed JSON: Invalid control character at; rest of the file "
        "skipped: about 2 more records not read"
    )
    assert bad.unread == 2


def test_malformed_json_element_counts_in_the_report_and_fails_strict(
    tmp_path: Path, shared_models: None
) -> None:
    f = tmp_path / "broken.json"
    f.write_text(
        '[{"text": "Velka Stroud was born in Saltmere."},\n'
        ' {"text": "Saltmere lies" "on the coast."},\n'
        ' {"text": "Kelvaro is a port."},\n'
        ' {"text": "Orrin Tarrow built the Kelvaro lighthouse."}]\n',
        encoding="utf-8",
    )
    store, report_path = tmp_path / "mem", tmp_path / "report.json"
    args = [str(f), "--store", str(store), "--workers", "0", "--report", str(report_path)]
    result = CliRunner().invoke(ingest, args)
    assert result.exit_code == 0, result.output
    line = (
        f"{f}:2: record 1: malformed JSON: Expecting ',' delimiter; rest of the file skipped: "
        "about 2 more records not read"
    )
    assert f"bad record: {line}" in result.stdout
    assert "2 records not read: a .json file ended at a syntax error (see bad records)" in (
        result.stdout
    )
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert (report["bad_records"], report["records_unread"], report["documents_added"]) == (1, 2, 1)
    strict = CliRunner().invoke(ingest, [*args, "--strict"])
    assert strict.exit_code == 1
    assert strict.stderr.startswith(f"error: {line} (strict mode")
    assert doc_count(store) == 1


@pytest.mark.parametrize("content", ["", "\n  \n", "[]", " [ ]\n"])
def test_a_file_without_records_is_reported(tmp_path: Path, content: str) -> None:
    f = tmp_path / ("empty.json" if "[" in content else "empty.jsonl")
    f.write_text(content, encoding="utf-8")
    items = _items(f)
    assert [str(i) for i in items] == [f"{f}: no records"]


def test_an_empty_jsonl_beside_good_input_is_counted_and_stops_strict(
    tmp_path: Path, shared_models: None
) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    good = tmp_path / "good.jsonl"
    good.write_text('{"id": "g", "text": "Kelvaro is a port."}\n', encoding="utf-8")
    store = tmp_path / "mem"
    args = [str(empty), str(good), "--store", str(store), "--workers", "0"]
    strict = CliRunner().invoke(ingest, [*args, "--strict"])
    assert strict.exit_code == 1
    assert strict.stderr.startswith(f"error: {empty}: no records (strict mode")
    result = CliRunner().invoke(ingest, args)
    assert result.exit_code == 0, result.output
    assert "read 1 documents: added 1, skipped 0 already stored, 1 bad records skipped" in (
        result.stdout
    )
    assert f"bad record: {empty}: no records" in result.stdout


@pytest.mark.parametrize("block", [1, 2, 3, 7, 64, 1 << 16])
def test_deep_and_malformed_elements_read_the_same_at_any_block_size(block: int) -> None:
    """The lenient scans cross block boundaries anywhere (inside strings, after a backslash,
    between a comma and the next element) with the same outcome."""
    import io

    from pipelines.jsonstream import JSONStreamError, iter_json_list

    data = (
        '[{"text": "a \\\\ \\" ] } , {"},\n'
        ' {"text": "deep", "metadata": ' + deep_json(1200).replace('"leaf"', '"x\\"]}"') + "},\n"
        ' {"text": "after"},\n'
        ' {"text": "bro" ken},\n'
        ' {"text": "lost \\"one\\", {x}"},\n'
        '   \n'
        ' {"text": "lost two", "m": [{"a": 1}, {"b": "]"}]}]\n'
    ).encode()
    seen: list[tuple[int, int, bool]] = []
    with pytest.raises(JSONStreamError) as err:
        for element in iter_json_list(io.BytesIO(data), block=block):
            seen.append((element.index, element.line, element.too_deep))
    assert seen == [(0, 1, False), (1, 2, True), (2, 3, False)]
    e = err.value
    assert (e.index, e.line, e.unread) == (3, 4, 2)
    assert e.reason == "malformed JSON: Expecting ',' delimiter"


def test_a_file_name_that_is_not_utf8_is_a_bad_record_not_a_crash(
    tmp_path: Path, shared_models: None
) -> None:
    """Linux hands Python undecodable bytes of a file name as lone surrogates
    (``b"\\xff"`` → ``"\\udcff"``); the id made from the path carries one, so the file is a bad
    record naming it, and the job, its summary and its JSON report all finish."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "good.txt").write_text("Velka Stroud was born in Saltmere.\n", encoding="utf-8")
    bad = Path(os.fsdecode(bytes(docs) + b"/bad\xff.txt"))
    bad.write_text("Kelvaro is a port.\n", encoding="utf-8")
    assert "\udcff" in str(bad)
    at = "docs/bad\udcff.txt".index("\udcff")  # in the id, which is relative to the directory given
    shown = f"{docs}/bad\\udcff.txt"  # escaped, so it can be printed and written
    bad_items = [str(i) for i in _items(docs) if isinstance(i, BadRecord)]
    assert bad_items == [
        f"{shown}: id contains a lone surrogate (\\udcff at character {at}), which is not valid Unicode"
    ]
    store, report_path = tmp_path / "mem", tmp_path / "report.json"
    args = [str(docs), "--store", str(store), "--workers", "0", "--report", str(report_path)]
    result = CliRunner().invoke(ingest, args)
    assert result.exit_code == 0, result.output
    assert f"bad record: {shown}: id contains a lone surrogate" in result.stdout
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert (report["bad_records"], report["documents_added"]) == (1, 1)
    assert report["bad_record_examples"] == bad_items
    with connect_ro(store) as c:
        assert [d for (d,) in c.execute("SELECT doc_id FROM documents")] == ["docs/good.txt"]
