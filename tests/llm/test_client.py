"""LLMClient against the scripted local server: retries, Retry-After, timeouts, concurrency,
the response cache, the structured-output fallback and usage counters."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from graphmem.errors import GraphMemError, InputError
from graphmem.llm import ChatRequest, LLMClient, LLMConfig, LLMError

from .server import FakeOpenAIServer, Reply

pytest.importorskip("openai", reason="the LLM client needs graphmem[llm]")

MESSAGES = [{"role": "user", "content": "Say hi."}]
SCHEMA = {
    "type": "json_schema",
    "json_schema": {"name": "x", "schema": {"type": "object", "properties": {}}},
}


def usage_of(client: LLMClient) -> dict[str, int]:
    return client.usage.as_dict()


def test_plain_completion_sends_config_and_counts_usage(server, make_client):
    server.push(Reply.text("hello", prompt_tokens=12, completion_tokens=3))
    client = make_client(max_tokens=64, seed=7)
    done = client.complete(MESSAGES)
    assert (done.text, done.prompt_tokens, done.completion_tokens, done.cached) == (
        "hello",
        12,
        3,
        False,
    )
    assert done.finish_reason == "stop" and not done.truncated
    (req,) = server.requests
    assert req.body["model"] == "fake-model"
    assert req.body["messages"] == MESSAGES
    assert (req.body["temperature"], req.body["max_tokens"], req.body["seed"]) == (0.0, 64, 7)
    assert "response_format" not in req.body
    assert usage_of(client) == {
        "calls": 1,
        "cache_hits": 0,
        "prompt_tokens": 12,
        "completion_tokens": 3,
        "retries": 0,
        "failures": 0,
    }


def test_5xx_is_retried_then_succeeds(server, make_client):
    server.push(Reply.fail(500), Reply.fail(503), Reply.text("ok", prompt_tokens=4))
    client = make_client()
    assert client.complete(MESSAGES).text == "ok"
    assert [r.status for r in server.requests] == [500, 503, 200]
    assert usage_of(client) == {
        "calls": 3,
        "cache_hits": 0,
        "prompt_tokens": 4,
        "completion_tokens": 5,
        "retries": 2,
        "failures": 0,
    }


def test_retries_are_bounded_and_error_names_endpoint_and_status(server, make_client):
    server.push(*[Reply.fail(502, "upstream down")] * 3)
    client = make_client(max_retries=2)
    with pytest.raises(LLMError) as info:
        client.complete(MESSAGES)
    err = info.value
    assert isinstance(err, GraphMemError)
    assert (err.status, err.attempts, err.endpoint) == (502, 3, client.endpoint)
    assert err.endpoint == f"{server.base_url}/chat/completions"
    assert str(err) == (
        f"{server.base_url}/chat/completions: giving up after 3 attempts (max_retries=2); "
        "last error: HTTP 502: upstream down"
    )
    assert len(server.requests) == 3
    assert usage_of(client)["calls"] == 3
    assert usage_of(client)["retries"] == 2
    assert usage_of(client)["failures"] == 1


def test_retry_after_header_is_honoured(server, make_client):
    server.push(Reply.fail(429, "slow down", headers={"Retry-After": "0.3"}), Reply.text("ok"))
    client = make_client()
    assert client.complete(MESSAGES).text == "ok"
    first, second = server.requests
    assert first.status == 429 and second.status == 200
    # without the header the backoff here is at most 1 ms
    assert second.t_in - first.t_out >= 0.29
    assert usage_of(client)["retries"] == 1


def test_retry_after_is_capped(server, make_client):
    server.push(Reply.fail(429, headers={"Retry-After": "30"}), Reply.text("ok"))
    client = make_client(retry_after_max_s=0.05)
    start = time.monotonic()
    assert client.complete(MESSAGES).text == "ok"
    assert time.monotonic() - start < 2.0


def test_timeout_is_retried(server, make_client):
    server.push(Reply.text("late", delay_s=2.0))
    server.responder = lambda r: Reply.text("on time")
    client = make_client(timeout_s=0.5)
    assert client.complete(MESSAGES).text == "on time"
    assert len(server.requests) == 2
    assert usage_of(client)["retries"] == 1
    assert usage_of(client)["failures"] == 0


def test_non_retryable_status_fails_at_once(server, make_client):
    server.push(Reply.fail(401, "bad key"))
    client = make_client()
    with pytest.raises(LLMError, match=r"HTTP 401: bad key$") as info:
        client.complete(MESSAGES)
    assert (info.value.status, info.value.attempts) == (401, 1)
    assert len(server.requests) == 1
    assert usage_of(client)["failures"] == 1


def test_server_down_fails_quickly_with_clear_error(make_client):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = make_client(base_url=f"http://127.0.0.1:{port}/v1", max_retries=2)
    start = time.monotonic()
    with pytest.raises(LLMError) as info:
        client.complete(MESSAGES)
    assert time.monotonic() - start < 3.0
    err = info.value
    assert err.status is None and err.attempts == 3
    assert str(err).startswith(
        f"http://127.0.0.1:{port}/v1/chat/completions: giving up after 3 attempts "
        "(max_retries=2); last error: connection failed"
    )


def test_concurrency_never_exceeds_limit_and_order_is_kept():
    with FakeOpenAIServer(
        responder=lambda r: Reply.text(r.last_user_message.upper()), delay_s=0.15
    ) as server:
        config = LLMConfig(
            model="fake-model", base_url=server.base_url, api_key="k", max_concurrency=4
        )
        with LLMClient(config) as client:
            requests = [ChatRequest([{"role": "user", "content": f"q{i}"}]) for i in range(20)]
            done = client.complete_many(requests)
        assert [c.text for c in done] == [f"Q{i}" for i in range(20)]
        assert len(server.requests) == 20
        assert server.max_in_flight == 4


def test_limit_is_shared_by_concurrent_callers():
    with FakeOpenAIServer(responder=lambda r: Reply.text("x"), delay_s=0.1) as server:
        config = LLMConfig(
            model="fake-model", base_url=server.base_url, api_key="k", max_concurrency=3
        )
        with LLMClient(config) as client:
            batch = [MESSAGES] * 6
            threads = [
                threading.Thread(target=client.complete_many, args=(batch,)) for _ in range(3)
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        assert len(server.requests) == 18
        assert server.max_in_flight == 3


def test_complete_many_raises_first_failure(server, make_client):
    server.responder = lambda r: (
        Reply.fail(404, "no such model") if r.last_user_message == "bad" else Reply.text("ok")
    )
    client = make_client()
    requests = [[{"role": "user", "content": c}] for c in ("a", "bad", "c")]
    with pytest.raises(LLMError, match="HTTP 404: no such model"):
        client.complete_many(requests)
    assert client.complete_many([]) == []


def test_invalid_messages_name_the_request():
    config = LLMConfig(model="m", base_url="http://127.0.0.1:9/v1", api_key="k")
    with LLMClient(config) as client:
        with pytest.raises(InputError, match=r"^requests\[1\]: messages is empty$"):
            client.complete_many([MESSAGES, []])
        with pytest.raises(InputError, match=r"^complete\(\): message 0 must be"):
            client.complete([{"role": "user"}])


def test_cache_hit_makes_no_http_call_and_persists(server, make_client, tmp_path):
    server.push(Reply.text("cached answer", prompt_tokens=8, completion_tokens=2))
    client = make_client(cached=True)
    first = client.complete(MESSAGES)
    second = client.complete(MESSAGES)
    assert (first.cached, second.cached) == (False, True)
    assert (second.text, second.prompt_tokens, second.completion_tokens) == (
        "cached answer",
        8,
        2,
    )
    assert len(server.requests) == 1
    assert usage_of(client) == {
        "calls": 1,
        "cache_hits": 1,
        "prompt_tokens": 8,
        "completion_tokens": 2,
        "retries": 0,
        "failures": 0,
    }
    # a new client on the same file answers from disk too
    other = make_client(cached=True)
    assert other.complete(MESSAGES).text == "cached answer"
    assert len(server.requests) == 1
    assert usage_of(other)["cache_hits"] == 1 and usage_of(other)["calls"] == 0


def test_cache_key_covers_generation_parameters(server, make_client):
    server.responder = lambda r: Reply.text(f"t={r.body['temperature']}")
    client = make_client(cached=True)
    assert client.complete(MESSAGES).text == "t=0.0"
    assert client.complete(MESSAGES, temperature=0.7).text == "t=0.7"
    assert client.complete(MESSAGES, max_tokens=10).text == "t=0.0"
    assert client.complete(MESSAGES, response_format=SCHEMA).text == "t=0.0"
    assert client.complete(MESSAGES, seed=3).text == "t=0.0"
    assert len(server.requests) == 5
    assert client.complete(MESSAGES, temperature=0.7).cached
    assert len(server.requests) == 5


def test_cache_disabled_by_config(server, make_client):
    server.responder = lambda r: Reply.text("x")
    client = make_client(cached=True, cache=False)
    assert [client.complete(MESSAGES).cached for _ in range(2)] == [False, False]
    assert len(server.requests) == 2
    assert usage_of(client)["cache_hits"] == 0


def test_json_schema_rejection_falls_back_and_is_remembered(make_client, server):
    server.reject_json_schema = True
    server.responder = lambda r: Reply.text('{"ok": true}')
    client = make_client()
    assert client.supports_response_format
    assert client.complete(MESSAGES, response_format=SCHEMA).text == '{"ok": true}'
    assert client.complete(MESSAGES, response_format=SCHEMA).text == '{"ok": true}'
    formats = [r.body.get("response_format") for r in server.requests]
    assert formats == [SCHEMA, None, None]
    assert [r.status for r in server.requests] == [400, 200, 200]
    assert not client.supports_response_format
    assert usage_of(client)["retries"] == 0 and usage_of(client)["calls"] == 3


def test_400_without_response_format_is_not_a_fallback(server, make_client):
    server.push(Reply.fail(400, "context too long"))
    client = make_client()
    with pytest.raises(LLMError, match="HTTP 400: context too long"):
        client.complete(MESSAGES)
    assert client.supports_response_format


def test_400_that_persists_without_format_keeps_format_support(server, make_client):
    server.push(Reply.fail(400, "bad request"), Reply.fail(400, "bad request"))
    client = make_client()
    with pytest.raises(LLMError, match="HTTP 400: bad request"):
        client.complete(MESSAGES, response_format=SCHEMA)
    assert client.supports_response_format
    assert [r.body.get("response_format") for r in server.requests] == [SCHEMA, None]


def test_truncated_reply_is_flagged(server, make_client):
    server.push(Reply.text('{"a": [1, 2', finish_reason="length"))
    done = make_client().complete(MESSAGES)
    assert done.truncated and done.text == '{"a": [1, 2'


def test_cancel_wakes_a_caller_waiting_on_a_hanging_server(server, make_client):
    server.responder = lambda r: Reply.text("late", delay_s=30.0)
    client = make_client(timeout_s=60.0)
    errors: list[str] = []

    def call() -> None:
        try:
            client.complete_many([MESSAGES, MESSAGES])
        except LLMError as exc:
            errors.append(str(exc))

    caller = threading.Thread(target=call)
    caller.start()
    deadline = time.monotonic() + 5
    while len(server.requests) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    start = time.monotonic()
    client.cancel()
    caller.join(timeout=5)
    assert not caller.is_alive()
    assert time.monotonic() - start < 1.0
    assert errors == [f"{client.endpoint}: cancelled"]
    with pytest.raises(LLMError, match=r": cancelled$"):  # later calls fail at once
        client.complete(MESSAGES)
    assert len(server.requests) == 2
    assert usage_of(client)["failures"] == 0  # an interruption, not a failure of the server


def test_cancel_interrupts_a_retry_wait(server, make_client):
    server.push(Reply.fail(503, headers={"Retry-After": "30"}))
    client = make_client(retry_after_max_s=30.0)
    timer = threading.Timer(0.3, client.cancel)
    timer.start()
    start = time.monotonic()
    with pytest.raises(LLMError, match=r": cancelled$"):
        client.complete(MESSAGES)
    assert time.monotonic() - start < 2.0
    timer.join()
