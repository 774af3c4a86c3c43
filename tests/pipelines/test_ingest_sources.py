"""Streaming readers: records, bad records with file and line, bounded reading."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from graphmem import Document, InputError, read_documents
from pipelines.jsonstream import JSONStreamError, iter_json_list
from pipelines.sources import BadRecord, Record, count_records, expand_paths, iter_records


def _items(*paths: Path) -> list[Record | BadRecord]:
    return list(iter_records(expand_paths(list(paths))))


def test_jsonl_streams_records_and_reports_bad_lines(tmp_path: Path) -> None:
    f = tmp_path / "c.jsonl"
    f.write_bytes(
        b'{"id": "a", "text": "Alpha text.", "title": "A"}\n'
        b"\n"
        b'{"text": "Beta text."\n'
        b'{"title": "no text"}\n'
        b'{"text": "   "}\n'
        b'{"text": "bad \xff byte"}\n'
        b'["not", "an", "object"]\n'
        b'{"id": 7, "text": "Gamma text.", "metadata": {"k": 1}}\n'
    )
    items = _items(f)
    assert [type(i).__name__ for i in items] == [
        "Record",
        "BadRecord",
        "BadRecord",
        "BadRecord",
        "BadRecord",
        "BadRecord",
        "Record",
    ]
    good = [i for i in items if isinstance(i, Record)]
    assert [(r.document.id, r.document.text, r.line) for r in good] == [
        ("a", "Alpha text.", 1),
        ("7", "Gamma text.", 8),
    ]
    assert good[0].document.metadata == {"title": "A"}
    bad = [str(i) for i in items if isinstance(i, BadRecord)]
    assert bad == [
        f"{f}:3: malformed JSON: Expecting ',' delimiter (column 22)",
        f'{f}:4: missing or non-string "text"',
        f'{f}:5: "text" is empty',
        f"{f}:6: not valid UTF-8 (byte 14 of the line)",
        f"{f}:7: expected an object, got list",
    ]


def test_json_list_elements_carry_their_lines(tmp_path: Path) -> None:
    records = [{"title": f"T{i}", "text": f"Passage number {i}."} for i in range(3)]
    records.insert(1, {"title": "missing text"})
    f = tmp_path / "corpus.json"
    f.write_text(json.dumps(records, indent=1), encoding="utf-8")  # the HippoRAG layout
    items = _items(f)
    assert [type(i).__name__ for i in items] == ["Record", "BadRecord", "Record", "Record"]
    assert [i.line for i in items] == [2, 6, 9, 13]
    assert str(items[1]) == f'{f}:6: record 1: missing or non-string "text"'
    assert [i.document.title for i in items if isinstance(i, Record)] == ["T0", "T1", "T2"]


def test_json_list_syntax_error_ends_the_file_after_the_good_records(tmp_path: Path) -> None:
    f = tmp_path / "broken.json"
    f.write_text('[{"text": "one"},\n {"text": "two"},\n {"text": "thr\n', encoding="utf-8")
    items = _items(f)
    assert [i.document.text for i in items[:2] if isinstance(i, Record)] == ["one", "two"]
    assert len(items) == 3
    assert str(items[2]) == (
        f"{f}:3: record 2: malformed JSON: Invalid control character at; rest of the file "
        "skipped: no more records found after it"
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "line 1: expected a JSON list of records, found an empty file"),
        ('{"text": "x"}', "line 1: expected a JSON list of records, found '{'"),
        ('[{"text": "x"},\n]', "line 2: trailing comma before ']'"),
        ('[{"text": "x"} {"text": "y"}]', "line 1: expected ',' or ']' after element 0, found '{'"),
        ('[{"text": "x"}] extra', "line 1: unexpected 'e' after the closing ']'"),
        ('[{"text": "x"}', "line 1: expected ',' or ']' after element 0, found end of file"),
    ],
)
def test_json_stream_errors(content: str, message: str) -> None:
    with pytest.raises(JSONStreamError) as err:
        list(iter_json_list(io.BytesIO(content.encode())))
    assert str(err.value) == message


@pytest.mark.parametrize("block", [1, 2, 3, 7, 64])
def test_json_stream_matches_json_load_at_any_block_size(block: int) -> None:
    value = [
        {"title": "Zürich", "text": 'Grüße aus 東京 🚀 and "quotes"', "n": [1, 2.5, None, True]},
        12345,
        "plain string",
        [],
        {},
        -0.5e3,
    ]
    data = ("\ufeff" + json.dumps(value, ensure_ascii=False, indent=2)).encode("utf-8")
    elements = list(iter_json_list(io.BytesIO(data), block=block))
    assert [e.value for e in elements] == value
    assert [e.index for e in elements] == list(range(len(value)))


class _CountingReader(io.BytesIO):
    def __init__(self, data: bytes):
        super().__init__(data)
        self.read_bytes = 0

    def read(self, size: int | None = -1) -> bytes:  # type: ignore[override]
        out = super().read(size)
        self.read_bytes += len(out)
        return out


def test_json_stream_reads_one_block_at_a_time() -> None:
    data = json.dumps([{"text": f"passage {i} " * 5} for i in range(20000)]).encode()
    reader = _CountingReader(data)
    elements = iter_json_list(reader, block=4096)
    first = next(elements)
    assert first.value == {"text": "passage 0 " * 5}
    assert reader.read_bytes == 4096  # not the whole 1.3 MB
    assert sum(1 for _ in elements) == 19999


def test_json_stream_reports_undecodable_bytes() -> None:
    with pytest.raises(JSONStreamError) as err:
        list(iter_json_list(io.BytesIO(b'[{"text": "a"},\n{"text": "\xc3("}]'), block=4))
    assert str(err.value) == "line 2: not valid UTF-8 (byte offset 26)"


def test_directory_recursive_sorted_with_bad_files(tmp_path: Path) -> None:
    d = tmp_path / "notes"
    (d / "sub").mkdir(parents=True)
    (d / "b.txt").write_text("Bravo note.", encoding="utf-8")
    (d / "sub" / "a.md").write_text("Alpha note.", encoding="utf-8")
    (d / "c.txt").write_bytes(b"first line\nsecond \xff line\n")
    (d / "empty.md").write_text("  \n", encoding="utf-8")
    (d / "skip.csv").write_text("ignored", encoding="utf-8")
    items = _items(d)
    assert [str(i) if isinstance(i, BadRecord) else i.document.id for i in items] == [
        "notes/b.txt",
        f"{d / 'c.txt'}:2: not valid UTF-8 (byte offset 18)",
        f"{d / 'empty.md'}: file is empty",
        "notes/sub/a.md",
    ]


def test_text_file_ids_do_not_depend_on_how_the_path_is_typed(tmp_path: Path, monkeypatch) -> None:
    notes = tmp_path / "x" / "notes"
    (notes / "sub").mkdir(parents=True)
    (notes / "a.txt").write_text("Alpha note.", encoding="utf-8")
    (notes / "sub" / "b.md").write_text("Bravo note.", encoding="utf-8")
    (tmp_path / "link").symlink_to(notes, target_is_directory=True)
    (tmp_path / "x" / "other").mkdir()
    monkeypatch.chdir(tmp_path / "x")
    want = ["notes/a.txt", "notes/sub/b.md"]
    for spelling in ("notes", "notes/", "./notes/.", str(notes), "other/../notes", "../x/notes",
                     "../link", str(tmp_path / "link") + "/"):
        docs = [i.document for i in _items(Path(spelling)) if isinstance(i, Record)]
        assert [(d.id, d.metadata) for d in docs] == [(i, {"path": i}) for i in want], spelling
        assert docs == read_documents(spelling)
    for spelling in ("notes/a.txt", str(notes / "a.txt"), "../link/a.txt"):  # a file alone
        assert [i.document.id for i in _items(Path(spelling))] == ["notes/a.txt"], spelling
    monkeypatch.chdir(notes)
    assert [i.document.id for i in _items(Path("."))] == want
    assert [i.document.id for i in _items(Path("sub"))] == ["sub/b.md"]  # relative to the root given


def test_documents_equal_graphmem_read_documents(tmp_path: Path) -> None:
    (tmp_path / "c.jsonl").write_text(
        '{"id": "x", "title": "X", "text": "Ex text.", "metadata": {"a": 1}}\n{"text": "No id."}\n',
        encoding="utf-8",
    )
    (tmp_path / "c.json").write_text('[{"title": "Y", "text": "Why text."}]', encoding="utf-8")
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "n.txt").write_text("A note.", encoding="utf-8")
    for name in ("c.jsonl", "c.json", "d"):
        ours = [i.document for i in _items(tmp_path / name) if isinstance(i, Record)]
        theirs: list[Document] = read_documents(tmp_path / name)
        assert ours == theirs


def test_expand_paths_checks_before_reading(tmp_path: Path) -> None:
    (tmp_path / "data.csv").write_text("x", encoding="utf-8")
    with pytest.raises(InputError) as err:
        expand_paths([tmp_path / "missing.jsonl"])
    assert str(err.value) == f"{tmp_path / 'missing.jsonl'}: no such file or directory"
    with pytest.raises(InputError) as err:
        expand_paths([tmp_path / "data.csv"])
    assert str(err.value).startswith(f"{tmp_path / 'data.csv'}: unsupported file type .csv")


def test_count_records(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text(
        '{"text": "1"}\n\nnot json\n{"text": "2"}\n', encoding="utf-8"
    )
    (tmp_path / "b.json").write_text('[{"text": "1"}, {"text": "2"}, {"x": 3}]', encoding="utf-8")
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "n.txt").write_text("note", encoding="utf-8")
    files = expand_paths([tmp_path / "a.jsonl", tmp_path / "b.json", tmp_path / "d"])
    assert count_records(files) == 7 == len(list(iter_records(files)))
