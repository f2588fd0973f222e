"""The peer itself, through the raw openai SDK: if these fail, the server (not calmreply) is
the problem. What llama-cpp-python's server does and does not support is pinned here, so a
server upgrade that changes it shows up as a failing test rather than as a puzzling draft."""

from __future__ import annotations

import json

import openai
import pytest
from openai import OpenAI
from openai.types.chat import ChatCompletionMessageParam

from tests.integration.conftest import LlamaServer

pytestmark = pytest.mark.integration

MESSAGES: list[ChatCompletionMessageParam] = [
    {"role": "system", "content": "You are a polite customer support agent."},
    {"role": "user", "content": "My order #1234 arrived broken. What can you do?"},
]


@pytest.fixture
def client(llama_server: LlamaServer) -> OpenAI:
    # max_retries=0: a flaky server must show up here, not be papered over.
    return OpenAI(base_url=llama_server.base_url, api_key="sk-no-key-needed", max_retries=0)


def test_models_lists_the_alias(client: OpenAI, llama_server: LlamaServer) -> None:
    assert [m.id for m in client.models.list()] == [llama_server.model]


def test_chat_completion_has_content_and_usage(client: OpenAI, llama_server: LlamaServer) -> None:
    response = client.chat.completions.create(
        model=llama_server.model, messages=MESSAGES, max_tokens=48, temperature=0, seed=1
    )
    assert response.choices[0].message.content
    assert response.choices[0].message.content.strip()
    assert response.usage is not None
    assert response.usage.prompt_tokens > 0
    assert response.usage.completion_tokens > 0


def test_json_object_mode_returns_parseable_json(client: OpenAI, llama_server: LlamaServer) -> None:
    # JSON mode is enforced by a grammar, so even a 135M model emits valid JSON.
    response = client.chat.completions.create(
        model=llama_server.model,
        messages=[
            {"role": "system", "content": "Answer in JSON with keys 'reply' and 'anger'."},
            MESSAGES[1],
        ],
        response_format={"type": "json_object"},
        max_tokens=200,
        temperature=0,
        seed=1,
    )
    content = response.choices[0].message.content
    assert content is not None
    assert response.choices[0].finish_reason == "stop", "JSON cut off by max_tokens"
    assert isinstance(json.loads(content), dict)


def test_json_object_with_schema_is_held_to_the_schema(
    client: OpenAI, llama_server: LlamaServer
) -> None:
    # llama-cpp-python's own extension: a "schema" key inside a json_object response_format
    # compiles the JSON schema to a grammar. The nearest it has to OpenAI's json_schema mode.
    schema = {
        "type": "object",
        "properties": {
            "reply": {"type": "string"},
            "anger": {"type": "integer", "minimum": 0, "maximum": 5},
        },
        "required": ["reply", "anger"],
        "additionalProperties": False,
    }
    response = client.chat.completions.create(
        model=llama_server.model,
        messages=MESSAGES,
        extra_body={"response_format": {"type": "json_object", "schema": schema}},
        max_tokens=200,
        temperature=0,
        seed=1,
    )
    content = response.choices[0].message.content
    assert content is not None
    data = json.loads(content)
    assert set(data) == {"reply", "anger"}
    assert isinstance(data["reply"], str)
    assert isinstance(data["anger"], int)


def test_json_schema_response_format_is_refused_with_a_500(
    client: OpenAI, llama_server: LlamaServer
) -> None:
    # Pinned so an upgrade that adds json_schema support is noticed. Note the status: 500,
    # not 400, so a client that retries 5xx retries this pointlessly; detect it instead.
    with pytest.raises(openai.InternalServerError) as caught:
        client.chat.completions.create(
            model=llama_server.model,
            messages=MESSAGES,
            response_format={
                "type": "json_schema",
                "json_schema": {"name": "draft", "schema": {"type": "object"}, "strict": True},
            },
            max_tokens=8,
        )
    assert caught.value.status_code == 500
    body = caught.value.body
    assert isinstance(body, dict)
    assert "Input should be 'text' or 'json_object'" in body["message"]


def test_streaming_works_but_reports_no_usage(client: OpenAI, llama_server: LlamaServer) -> None:
    # stream_options={"include_usage": True} is accepted and ignored: no chunk carries usage.
    chunks = list(
        client.chat.completions.create(
            model=llama_server.model,
            messages=MESSAGES,
            max_tokens=16,
            temperature=0,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.strip()
    assert chunks[-1].choices[0].finish_reason in {"stop", "length"}
    assert all(c.usage is None for c in chunks)


def test_an_unknown_model_name_is_served_by_the_loaded_model(
    client: OpenAI, llama_server: LlamaServer
) -> None:
    # No 404: the server answers with its one model and echoes the name it was asked for.
    response = client.chat.completions.create(
        model="no-such-model", messages=MESSAGES, max_tokens=4, temperature=0
    )
    assert response.model == "no-such-model"
    assert response.choices[0].message.content
