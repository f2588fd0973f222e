"""The model client over HTTP, with respx faking /v1/chat/completions."""

from __future__ import annotations

import json
import re

import httpx
import pytest
import respx

from agent.config import ModelSettings, Settings
from agent.errors import InvalidOutputError, ModelError, TransientModelError
from agent.llm import ModelClient, extract_json
from agent.models import ModelOutput
from tests.conftest import NetworkEscape, completion, good_output

BASE = "http://model.test/v1"
URL = f"{BASE}/chat/completions"
MESSAGES = [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}]


def make_client(**model: object) -> ModelClient:
    settings = Settings(model=ModelSettings(base_url=BASE, name="test-model", timeout=2,
                                            **model))  # type: ignore[arg-type]
    return ModelClient(settings, backoff=0.0)


def ok() -> httpx.Response:
    return httpx.Response(200, json=completion(json.dumps(good_output())))


async def ask(client: ModelClient) -> ModelOutput:
    output, _ = await client.structured(MESSAGES, ModelOutput)
    return output


@respx.mock
async def test_success_sends_strict_schema_and_counts_usage() -> None:
    route = respx.post(URL).mock(return_value=ok())
    client = make_client()
    output, usage = await client.structured(MESSAGES, ModelOutput)
    assert output.analysis.order_ids == ["48213"]
    assert usage.prompt_tokens == 120 and usage.calls == 1
    sent = json.loads(route.calls.last.request.content)
    assert sent["model"] == "test-model"
    assert sent["response_format"]["type"] == "json_schema"
    assert sent["response_format"]["json_schema"]["strict"] is True
    assert sent["max_tokens"] == client.settings.model.max_tokens


@respx.mock
async def test_retries_429_and_500_then_succeeds() -> None:
    route = respx.post(URL).mock(side_effect=[
        httpx.Response(429, json={"error": {"message": "slow down", "type": "rate_limit"}},
                       headers={"retry-after": "0"}),
        httpx.Response(500, json={"error": {"message": "boom"}}),
        ok(),
    ])
    output = await ask(make_client())
    assert output.draft.subject.startswith("Re:")
    assert route.call_count == 3


@respx.mock
async def test_retry_after_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr("asyncio.sleep", fake_sleep)
    respx.post(URL).mock(side_effect=[
        httpx.Response(429, json={"error": {"message": "slow"}}, headers={"retry-after": "7"}),
        ok(),
    ])
    await ask(make_client())
    assert slept == [7.0]


@respx.mock
async def test_gives_up_after_max_retries_with_one_line_error() -> None:
    route = respx.post(URL).mock(return_value=httpx.Response(503, json={"error": {}}))
    with pytest.raises(TransientModelError, match="server error \\(503\\)"):
        await ask(make_client(max_retries=2))
    assert route.call_count == 3


@pytest.mark.parametrize("status, needle", [
    (401, "rejected the API key"),
    (403, "refused access"),
    (404, "model 'test-model' was not found"),
    (400, "rejected the request"),
])
@respx.mock
async def test_client_errors_are_never_retried(status: int, needle: str) -> None:
    route = respx.post(URL).mock(
        return_value=httpx.Response(status, json={"error": {"message": "nope"}}))
    with pytest.raises(ModelError, match=needle) as info:
        await ask(make_client())
    assert not isinstance(info.value, TransientModelError)
    assert route.call_count == 1


@respx.mock
async def test_exhausted_quota_is_not_retried() -> None:
    route = respx.post(URL).mock(return_value=httpx.Response(429, json={"error": {
        "message": "You exceeded your current quota", "type": "insufficient_quota",
        "code": "insufficient_quota"}}))
    with pytest.raises(ModelError, match="no quota left"):
        await ask(make_client())
    assert route.call_count == 1


@respx.mock
async def test_malformed_json_then_valid_is_reasked() -> None:
    route = respx.post(URL).mock(side_effect=[
        httpx.Response(200, json=completion('{"analysis": {"goal": ')), ok()])
    output = await ask(make_client())
    assert output.analysis.category == "delivery"
    reask = json.loads(route.calls[1].request.content)["messages"]
    assert reask[-1]["role"] == "user" and "not valid JSON" in reask[-1]["content"]
    assert reask[-2]["role"] == "assistant"


@respx.mock
async def test_schema_violation_is_reasked_with_the_error() -> None:
    bad = good_output()
    del bad["draft"]
    bad["extra"] = 1
    route = respx.post(URL).mock(side_effect=[
        httpx.Response(200, json=completion(json.dumps(bad))), ok()])
    await ask(make_client())
    feedback = json.loads(route.calls[1].request.content)["messages"][-1]["content"]
    assert "draft: Field required" in feedback
    assert "extra" in feedback


@respx.mock
async def test_reasks_are_bounded() -> None:
    route = respx.post(URL).mock(return_value=httpx.Response(200, json=completion("no json")))
    with pytest.raises(InvalidOutputError, match="no valid answer after 3 tries"):
        await ask(make_client(max_reasks=2))
    assert route.call_count == 3


@respx.mock
async def test_truncated_answer_is_reasked() -> None:
    route = respx.post(URL).mock(side_effect=[
        httpx.Response(200, json=completion('{"analysis"', finish_reason="length")), ok()])
    await ask(make_client())
    assert "cut off" in json.loads(route.calls[1].request.content)["messages"][-1]["content"]


@respx.mock
async def test_timeout_is_retried_then_reported() -> None:
    route = respx.post(URL).mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(TransientModelError, match="did not answer in time"):
        await ask(make_client(max_retries=1))
    assert route.call_count == 2


@respx.mock
async def test_timeout_then_success() -> None:
    respx.post(URL).mock(side_effect=[httpx.ConnectTimeout("slow"), ok()])
    assert (await ask(make_client())).analysis.language == "en"


@respx.mock
async def test_connection_refused_is_one_clear_line() -> None:
    respx.post(URL).mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(TransientModelError, match=re.escape(
            "cannot reach a model server at http://model.test/v1")):
        await ask(make_client(max_retries=0))


@respx.mock
async def test_falls_back_to_json_mode_then_text() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        fmt = json.loads(request.content).get("response_format")
        if fmt is not None:
            return httpx.Response(400, json={"error": {
                "message": f"response_format type {fmt['type']} is not supported"}})
        return httpx.Response(200, json=completion(
            "Sure! Here it is:\n```json\n" + json.dumps(good_output()) + "\n```"))

    route = respx.post(URL).mock(side_effect=handler)
    client = make_client()
    await ask(client)
    formats = [json.loads(c.request.content).get("response_format") for c in route.calls]
    assert [f and f["type"] for f in formats] == ["json_schema", "json_object", "json_object",
                                                  None]
    assert "schema" in formats[1] and "schema" not in formats[2]
    assert client.mode == "text"
    await ask(client)  # the working mode is remembered
    assert route.call_count == 5


@respx.mock
async def test_llama_cpp_style_500_on_json_schema_steps_down_without_retrying() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        fmt = json.loads(request.content).get("response_format", {})
        if fmt.get("type") == "json_schema":
            return httpx.Response(500, json={"error": {"message": "1 validation error: "
                                  "response_format.type Input should be 'text' or "
                                  "'json_object'"}})
        assert fmt == {"type": "json_object", "schema": fmt["schema"]}
        return ok()

    route = respx.post(URL).mock(side_effect=handler)
    client = make_client()
    await ask(client)
    assert route.call_count == 2 and client.mode == "json_object_schema"


@respx.mock
async def test_concurrent_refusals_step_down_only_once() -> None:
    import asyncio

    def handler(request: httpx.Request) -> httpx.Response:
        fmt = json.loads(request.content).get("response_format", {})
        if fmt.get("type") == "json_schema":
            return httpx.Response(500, json={"error": {"message": "response_format.type "
                                  "Input should be 'text' or 'json_object'"}})
        assert "schema" in fmt, "stepped down past the schema-enforcing mode"
        return ok()

    respx.post(URL).mock(side_effect=handler)
    client = make_client()
    await asyncio.gather(*(ask(client) for _ in range(6)))
    assert client.mode == "json_object_schema"


@respx.mock
async def test_a_stream_cut_off_without_finish_reason_is_retried() -> None:
    body = json.dumps(good_output())
    cut = ('data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m",'
           '"choices":[{"index":0,"delta":{"content":"{\\"an"},"finish_reason":null}]}\n\n'
           "data: [DONE]\n\n")
    full = ('data: ' + json.dumps({"id": "c", "object": "chat.completion.chunk", "created": 1,
            "model": "m", "choices": [{"index": 0, "delta": {"content": body},
                                       "finish_reason": "stop"}]}) + "\n\ndata: [DONE]\n\n")
    route = respx.post(URL).mock(side_effect=[
        httpx.Response(200, content=cut.encode(), headers={"content-type": "text/event-stream"}),
        httpx.Response(200, content=full.encode(), headers={"content-type": "text/event-stream"}),
    ])
    output, _ = await make_client().structured(MESSAGES, ModelOutput, on_text=lambda _t: None)
    assert route.call_count == 2 and output.analysis.order_ids == ["48213"]


@respx.mock
async def test_refusal_is_reasked_then_reported() -> None:
    respx.post(URL).mock(return_value=httpx.Response(
        200, json=completion(None, refusal="I can't help with that")))
    with pytest.raises(InvalidOutputError, match="refused"):
        await ask(make_client(max_reasks=1))


async def test_unmocked_requests_cannot_escape_respx() -> None:
    with respx.mock(assert_all_called=False) as router:
        router.post(URL).mock(return_value=ok())
        client = make_client()
        client.base_url = "http://elsewhere.test/v1"
        client._sdk = None
        with pytest.raises(ModelError):
            await ask(client)


def test_real_network_is_refused_outside_respx() -> None:
    import socket

    with socket.socket() as sock, pytest.raises(NetworkEscape):
        sock.connect(("203.0.113.7", 443))


def test_sdk_retries_are_off() -> None:
    assert make_client().sdk.max_retries == 0


def test_extract_json_from_chatter() -> None:
    assert extract_json('Here you go: {"a": 1} hope it helps') == '{"a": 1}'


@respx.mock
async def test_azure_openai_uses_the_deployment_url_and_api_key_header(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "azure-key")
    route = respx.post(
        "https://acme.openai.azure.com/openai/deployments/reply-drafter/chat/completions"
    ).mock(return_value=ok())
    settings = Settings(model=ModelSettings(azure_endpoint="https://acme.openai.azure.com",
                                            name="reply-drafter"))
    assert settings.model_configured
    await ask(ModelClient(settings, backoff=0.0))
    request = route.calls.last.request
    assert request.url.params["api-version"] == settings.model.api_version
    assert request.headers["api-key"] == "azure-key"


@respx.mock
async def test_garbled_response_body_is_retried() -> None:
    route = respx.post(URL).mock(side_effect=[
        httpx.Response(200, content=b'{"id": "x", "choi',
                       headers={"content-type": "application/json"}),
        ok(),
    ])
    assert (await ask(make_client())).draft.subject.startswith("Re:")
    assert route.call_count == 2


async def test_stream_reset_mid_answer_is_retried() -> None:
    from tests.fakes.model_server import FakeModelServer

    with FakeModelServer(responder=lambda _r: json.dumps(good_output()),
                         faults=["reset", "ok"]) as srv:
        settings = Settings(model=ModelSettings(base_url=srv.base_url, timeout=5))
        client = ModelClient(settings, backoff=0.0)
        seen: list[str] = []
        output, usage = await client.structured(MESSAGES, ModelOutput, on_text=seen.append)
        await client.aclose()
        assert srv.stats.streams == 2
    assert output.analysis.order_ids == ["48213"]
    assert "".join(seen).endswith(json.dumps(good_output()))
    assert usage.completion_tokens > 0
