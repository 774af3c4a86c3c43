"""Replies that arrive (HTTP 200) but cannot be used: never cached, counted as failures, and
described in one line naming the endpoint, the model and what was expected."""

from __future__ import annotations

import json

import pytest

from graphmem.cache import CachingExtractor, DiskCache
from graphmem.llm import LLMError, LLMExtractor, ResponseCache
from graphmem.types import Extraction, Mention

from .server import RecordedRequest, Reply

pytest.importorskip("openai", reason="the LLM client needs graphmem[llm]")

MESSAGES = [{"role": "user", "content": "Say hi."}]
PASSAGE = "Odile Marchetti was born in Pellavon."
NER_OK = json.dumps({"entities": ["Odile Marchetti", "Pellavon"]})
TRIPLES_OK = json.dumps({"triples": [["Odile Marchetti", "born in", "Pellavon"]]})
EXPECTED = "is not the JSON object the extraction prompt asks for"


def needs_json(text: str) -> str | None:
    return None if text.startswith("{") else "not JSON"


def is_triple_call(request: RecordedRequest) -> bool:
    return "Named entities:" in request.last_user_message


# ---- the response cache ------------------------------------------------------------------------


def test_rejected_reply_is_returned_flagged_not_cached_and_counted(server, make_client):
    server.push(Reply.text("Sorry, I can't."), Reply.text('{"ok": 1}'))
    client = make_client(cached=True)
    first = client.complete(MESSAGES, check=needs_json)
    assert (first.text, first.rejected, first.cached) == ("Sorry, I can't.", "not JSON", False)
    assert client.usage.as_dict()["failures"] == 1
    second = client.complete(MESSAGES, check=needs_json)  # asked again: nothing was cached
    assert (second.text, second.rejected, second.cached) == ('{"ok": 1}', None, False)
    third = client.complete(MESSAGES, check=needs_json)
    assert (third.text, third.cached) == ('{"ok": 1}', True)
    assert len(server.requests) == 2
    assert client.usage.as_dict() == {
        "calls": 2, "cache_hits": 1, "prompt_tokens": 20, "completion_tokens": 10,
        "retries": 0, "failures": 1,
    }


def test_a_cached_reply_the_check_rejects_is_asked_again(server, make_client):
    """A cache written before replies were checked may hold an unusable one: it is not used."""
    server.push(Reply.text("Sorry, I can't."), Reply.text('{"ok": 1}'))
    make_client(cached=True).complete(MESSAGES)  # no check: stored
    client = make_client(cached=True)
    again = client.complete(MESSAGES, check=needs_json)
    assert (again.text, again.cached, again.rejected) == ('{"ok": 1}', False, None)
    assert client.complete(MESSAGES, check=needs_json).cached  # the good reply replaced it
    assert len(server.requests) == 2


# ---- the extractor and the extraction cache ----------------------------------------------------


@pytest.fixture
def fixable(server):
    """The server answers the NER step with prose until ``fixable["fixed"]`` is set."""
    state = {"fixed": False}

    def respond(request: RecordedRequest) -> Reply:
        if is_triple_call(request):
            return Reply.text(TRIPLES_OK)
        return Reply.text(NER_OK if state["fixed"] else "I am not sure what you mean.")

    server.responder = respond
    return state


def test_unusable_ner_reply_gives_a_failed_extraction_and_nothing_cached(
    server, make_client, fixable
):
    extractor = LLMExtractor(make_client(cached=True))
    (got,) = extractor.extract_batch([PASSAGE])
    reason = (
        f"NER reply from {server.base_url}/chat/completions (model fake-model) {EXPECTED} "
        "({\"entities\": [...]}): no JSON in 'I am not sure what you mean.'"
    )
    assert got == Extraction(mentions=(), triples=(), failure=reason)
    assert got.failed
    assert extractor.report.bad_replies == 1
    assert extractor.client.usage.as_dict()["failures"] == 1
    fixable["fixed"] = True
    (again,) = extractor.extract_batch([PASSAGE])  # not answered from the response cache
    assert not again.failed and len(again.triples) == 1
    assert len(server.requests) == 3  # bad NER, good NER, triples


def test_unusable_triple_reply_keeps_the_mentions_but_is_a_failure(server, make_client):
    server.responder = lambda r: Reply.text('{"triples": [["Odile', finish_reason="stop") if (
        is_triple_call(r)
    ) else Reply.text(NER_OK)
    (got,) = LLMExtractor(make_client()).extract_batch([PASSAGE])
    assert got.mentions == (
        Mention("odile marchetti", "Odile Marchetti", "LLM"),
        Mention("pellavon", "Pellavon", "LLM"),
    )
    assert got.triples == ()
    assert got.failure == (
        f"triple reply from {server.base_url}/chat/completions (model fake-model) {EXPECTED} "
        "({\"triples\": [...]}): truncated at character 20: '{\"triples\": [[\"Odile'"
    )


def test_caching_extractor_keeps_only_complete_extractions(server, make_client, fixable, tmp_path):
    with DiskCache(tmp_path / "cache.sqlite") as cache:
        extractor = LLMExtractor(make_client())
        caching = CachingExtractor(extractor, cache)
        (first,) = caching.extract_batch([PASSAGE])
        assert first.failed
        assert cache.get_extractions(extractor.name, [PASSAGE]) == [None]
        fixable["fixed"] = True
        (second,) = caching.extract_batch([PASSAGE])  # asks the model again
        assert not second.failed and len(second.triples) == 1
        assert cache.get_extractions(extractor.name, [PASSAGE]) == [second]
        calls = len(server.requests)
        assert caching.extract_batch([PASSAGE]) == [second]
        assert len(server.requests) == calls


def test_disk_cache_refuses_a_failed_extraction(tmp_path):
    failed = Extraction((), (), failure="no reply")
    with (
        DiskCache(tmp_path / "cache.sqlite") as cache,
        pytest.raises(ValueError, match=r"^extraction 0 failed \(no reply\); it is not cached$"),
    ):
        cache.put_extractions("x", ["t"], [failed])


# ---- one-line messages for replies that are not chat completions ------------------------------


def test_html_reply_says_it_was_html(server, make_client):
    page = (
        b"<!DOCTYPE html>\n<html><head><title>Welcome to\n nginx!\x1b[31m</title></head>"
        b"<body><h1>Welcome</h1></body></html>"
    )
    server.push(Reply.raw(page, "text/html"))
    client = make_client(max_retries=3)
    with pytest.raises(LLMError) as info:
        client.complete(MESSAGES)
    assert str(info.value) == (
        f"reply from {server.base_url}/chat/completions (model fake-model) is an HTML page, not "
        "a chat completion (HTTP 200, text/html, title 'Welcome to nginx!\\x1b[31m'): check that "
        "the base URL is the API root (it usually ends in /v1)"
    )
    assert (info.value.status, info.value.attempts) == (200, 1)
    assert len(server.requests) == 1  # a page is a wrong URL, not a transient failure
    assert client.usage.as_dict()["failures"] == 1


def test_html_reply_without_a_title_quotes_its_start(server, make_client):
    server.push(Reply.raw(b"<p>Bad gateway</p>", "text/html; charset=utf-8"))
    with pytest.raises(LLMError, match=r"\(HTTP 200, text/html, starts '<p>Bad gateway</p>'\)"):
        make_client().complete(MESSAGES)


def test_truncated_body_names_endpoint_and_position(server, make_client):
    whole = json.dumps({"id": "chatcmpl-1", "object": "chat.completion", "choices": []})
    server.push(Reply.raw(whole[:53].encode(), "application/json"))
    with pytest.raises(LLMError) as info:
        make_client().complete(MESSAGES)
    assert str(info.value) == (
        f"reply from {server.base_url}/chat/completions (model fake-model) is not the JSON "
        "chat completion the API returns (HTTP 200): truncated at character 53: "
        f"{whole[:53]!r}"
    )


def test_json_that_is_not_a_completion_is_named(server, make_client):
    server.push(Reply.raw(b'{"status": "ok"}', "application/json"))
    with pytest.raises(LLMError, match=r"is not a chat completion \(HTTP 200, no 'choices' list\)"):
        make_client().complete(MESSAGES)


# ---- corrupt cache files -----------------------------------------------------------------------

RECOVER = "delete it to start with an empty cache: nothing stored in the memory depends on it"


def _junk(path):
    path.write_bytes(b"this is not sqlite" * 400)
    return path


def _corrupt_middle(path):
    """Overwrite the pages after the first two of an SQLite file with garbage."""
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big") or 65536
    assert len(data) >= 6 * page, "need a file of several pages"
    data[2 * page : len(data) - page] = b"\xa5" * (len(data) - 3 * page)
    path.write_bytes(bytes(data))


def test_junk_response_cache_file_says_how_to_recover(tmp_path):
    bad = _junk(tmp_path / "llm_cache.sqlite")
    with pytest.raises(LLMError) as info:
        ResponseCache(bad)
    assert str(info.value) == (
        f"LLM response cache {bad} is corrupt (file is not a database): {RECOVER}"
    )


def test_response_cache_corrupted_inside_says_how_to_recover(tmp_path):
    from graphmem.llm.cache import CachedReply

    path = tmp_path / "llm_cache.sqlite"
    cache = ResponseCache(path)
    for i in range(300):
        cache.put(f"k{i}", "m", CachedReply("x" * 1000, 1, 1, "stop"))
    cache.close()
    _corrupt_middle(path)
    with pytest.raises(LLMError) as info:
        reopened = ResponseCache(path)
        try:
            for i in range(300):
                reopened.get(f"k{i}")
        finally:
            reopened.close()
    message = str(info.value)
    assert message.startswith(f"LLM response cache {path} is corrupt (")
    assert message.endswith(RECOVER)


def test_junk_extraction_cache_file_says_how_to_recover(tmp_path):
    from graphmem.errors import CacheError

    bad = _junk(tmp_path / "cache.sqlite")
    with pytest.raises(CacheError) as info:
        DiskCache(bad)
    assert str(info.value) == f"{bad}: corrupt cache file (file is not a database); {RECOVER}"


def test_extraction_cache_corrupted_inside_says_how_to_recover(tmp_path):
    from graphmem.errors import CacheError

    path = tmp_path / "cache.sqlite"
    texts = [f"passage {i} " + "x" * 2000 for i in range(200)]
    with DiskCache(path) as cache:
        cache.put_extractions("x", texts, [Extraction((), ())] * len(texts))
    _corrupt_middle(path)
    with pytest.raises(CacheError) as info, DiskCache(path) as reopened:
        reopened.get_extractions("x", texts)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    assert message.endswith(RECOVER)
