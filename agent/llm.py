"""The model client: one structured answer from any OpenAI-compatible server.

Two loops, kept apart:
- network retries (tenacity): 429 (not an exhausted quota), 5xx, timeouts and dropped
  connections, with jittered exponential backoff that honours Retry-After. The SDK's own
  retries are off, so there is exactly one retry layer.
- re-asks: an answer that is not valid JSON for the schema is shown back to the model
  with the validation error, a bounded number of times.

Structured output is asked for with a strict JSON schema (OpenAI, vLLM, Ollama). A server
that rejects that gets JSON mode with the schema attached (llama.cpp's server enforces it
with a grammar), then plain JSON mode, then plain text from which the JSON object is
extracted. The mode that worked is remembered for the client's lifetime.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable
from functools import lru_cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from pydantic import BaseModel, ValidationError
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

from agent.config import Settings
from agent.errors import ConfigError, InvalidOutputError, TransientModelError, from_sdk
from agent.messages import Message, reask_message
from agent.models import Usage

if TYPE_CHECKING:
    from openai import AsyncOpenAI

T = TypeVar("T", bound=BaseModel)
R = TypeVar("R")
Mode = Literal["json_schema", "json_object_schema", "json_object", "text"]
_MODES: tuple[Mode, ...] = ("json_schema", "json_object_schema", "json_object", "text")
# How servers say "not that response_format" (llama.cpp answers 500, not 400).
_FORMAT_REFUSAL = re.compile(r"response_format|json_schema|json_object|'schema'", re.I)
_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.S)
MAX_RETRY_AFTER = 60.0
log = logging.getLogger("calmreply.llm")  # `calmreply -v` shows retries, step-downs, re-asks


class ModelClient:
    def __init__(
        self,
        settings: Settings,
        *,
        sdk: AsyncOpenAI | None = None,
        backoff: float = 0.5,
    ) -> None:
        self.settings = settings
        self.model = settings.model.name or "gpt-4o-mini"
        self.base_url = settings.model.base_url or settings.model.azure_endpoint
        _check_url(self.base_url)
        self.prompts_dir: Path | None = settings.prompts_dir
        self.mode: Mode = "json_schema"
        self._backoff = backoff
        self._sdk = sdk

    @property
    def sdk(self) -> AsyncOpenAI:
        if self._sdk is None:
            from openai import AsyncAzureOpenAI, AsyncOpenAI

            common: dict[str, Any] = {
                # Local servers (llama.cpp, Ollama, vLLM) need no key, but the SDK wants one.
                "api_key": self.settings.api_key or "not-needed",
                "timeout": self.settings.model.timeout,
                "max_retries": 0,  # tenacity owns retries
            }
            azure = self.settings.model.azure_endpoint
            self._sdk = AsyncAzureOpenAI(azure_endpoint=azure, azure_deployment=self.model,
                                         api_version=self.settings.model.api_version, **common) \
                if azure and not self.settings.model.base_url \
                else AsyncOpenAI(base_url=self.base_url, **common)
        return self._sdk

    async def aclose(self) -> None:
        if self._sdk is not None:
            await self._sdk.close()

    async def structured(
        self,
        messages: list[Message],
        schema: type[T],
        *,
        temperature: float | None = None,
        seed: int | None = None,
        on_text: Callable[[str], None] | None = None,
        usage: Usage | None = None,
    ) -> tuple[T, Usage]:
        """Ask until the answer validates against `schema` (bounded re-asks)."""
        usage = usage if usage is not None else Usage()
        convo = list(messages)
        last_error = ""
        reasks = self.settings.model.max_reasks
        for attempt in range(reasks + 1):
            content, finish = await self._retrying(partial(
                self._call_once, list(convo), schema, temperature, seed, on_text, usage))
            try:
                if finish == "length":
                    raise InvalidOutputError("the answer was cut off at the token limit; "
                                             "answer more briefly")
                return parse_output(content, schema), usage
            except InvalidOutputError as exc:
                last_error = exc.message
                if attempt < reasks:
                    log.info("re-asking %s for a valid %s (%d of %d): %s", self.model,
                             schema.__name__, attempt + 1, reasks, last_error)
                convo += [
                    {"role": "assistant", "content": content[:4000]},
                    reask_message(last_error, self.prompts_dir),
                ]
        raise InvalidOutputError(
            f"model '{self.model}' gave no valid answer after "
            f"{self.settings.model.max_reasks + 1} tries ({last_error}); try a stronger model"
        )

    async def _retrying(self, call: Callable[[], Awaitable[R]]) -> R:
        """Run `call` under the one retry policy: transient failures only, with backoff."""
        retrying = AsyncRetrying(
            retry=retry_if_exception(lambda e: isinstance(e, TransientModelError)),
            stop=stop_after_attempt(self.settings.model.max_retries + 1),
            wait=self._wait,
            before_sleep=self._log_retry,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await call()
        raise AssertionError("unreachable")  # pragma: no cover

    def _log_retry(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        why = exc.message if isinstance(exc, TransientModelError) else repr(exc)
        pause = state.next_action.sleep if state.next_action else 0.0
        log.info("retry %d of %d in %.2fs: %s", state.attempt_number,
                 self.settings.model.max_retries, pause, why)

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, TransientModelError) and exc.retry_after is not None:
            return min(exc.retry_after, MAX_RETRY_AFTER)
        return wait_random_exponential(multiplier=self._backoff, max=20)(state)

    async def _call_once(
        self,
        messages: list[Message],
        schema: type[BaseModel],
        temperature: float | None,
        seed: int | None,
        on_text: Callable[[str], None] | None,
        usage: Usage,
    ) -> tuple[str, str | None]:
        """One request; returns the answer text and the finish reason."""
        import httpx
        import openai

        while True:
            mode = self.mode
            kwargs = self.chat_request(messages, schema, temperature, seed, mode)
            log.debug("asking %s at %s for %s (%s%s)", self.model, self.base_url or "the API",
                      schema.__name__, mode, ", streamed" if on_text else "")
            try:
                if on_text is not None:
                    return await self._stream(kwargs, on_text, usage)
                response = await self.sdk.chat.completions.create(**kwargs)
            except (openai.BadRequestError, openai.UnprocessableEntityError,
                    openai.InternalServerError) as exc:
                if self._downgrade(exc, mode):
                    continue
                raise from_sdk(exc, model=self.model, base_url=self.base_url) from None
            except (openai.APIError, httpx.TransportError, json.JSONDecodeError) as exc:
                raise from_sdk(exc, model=self.model, base_url=self.base_url) from None
            if response.usage is not None:
                usage.count(response.usage)
            if not response.choices:
                raise TransientModelError(f"{self.base_url or 'the API'} sent no choices")
            choice = response.choices[0]
            refusal = getattr(choice.message, "refusal", None)
            if refusal:
                return json.dumps({"refusal": refusal}), choice.finish_reason
            return choice.message.content or "", choice.finish_reason

    async def _stream(self, kwargs: dict[str, Any], on_text: Callable[[str], None],
                      usage: Usage) -> tuple[str, str | None]:
        stream = await self.sdk.chat.completions.create(
            **kwargs, stream=True, stream_options={"include_usage": True}
        )
        parts: list[str] = []
        finish: str | None = None
        async for chunk in stream:
            if chunk.usage is not None:
                usage.count(chunk.usage)
            for choice in chunk.choices:
                finish = choice.finish_reason or finish
                delta = choice.delta.content or ""
                if delta:
                    parts.append(delta)
                    on_text(delta)
        if finish is None:  # e.g. llama.cpp cuts a stream off when another request arrives
            raise TransientModelError(f"the answer from {self.base_url or 'the API'} stopped "
                                      "mid-stream; try again")
        return "".join(parts), finish

    def _downgrade(self, exc: Exception, refused: Mode) -> bool:
        """Step down one structured-output mode when a server refuses the one asked for.

        Concurrent requests all see the same refusal: only the first steps down, the
        others just try again with the mode it chose."""
        if refused == "text" or not _FORMAT_REFUSAL.search(str(exc)):
            return False
        if self.mode == refused:
            self.mode = _MODES[_MODES.index(refused) + 1]
            log.info("%s refused response_format mode %s; stepping down to %s for the rest "
                     "of the run", self.base_url or "the API", refused, self.mode)
        return True

    def chat_request(self, messages: list[Message], schema: type[BaseModel],
                     temperature: float | None, seed: int | None, mode: Mode) -> dict[str, Any]:
        """The keyword arguments of one chat-completions call. Live calls send them; the
        batch exporter (agent/offload/) writes the same request for a batch engine."""
        kwargs: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "temperature": self.settings.model.temperature if temperature is None
            else temperature,
            # Bounds a model that loops until the context is full (small local models do).
            "max_tokens": self.settings.model.max_tokens,
        }
        if seed is not None:
            kwargs["seed"] = seed
        if mode in ("json_schema", "json_object_schema"):
            strict = strict_schema(schema)
            if mode == "json_schema":
                kwargs["response_format"] = {
                    "type": "json_schema",
                    "json_schema": {"name": schema.__name__, "strict": True, "schema": strict},
                }
            else:  # not in the SDK's types, so it travels in the body as is
                kwargs["extra_body"] = {"response_format": {"type": "json_object",
                                                            "schema": strict}}
        elif mode == "json_object":
            kwargs["response_format"] = {"type": "json_object"}
        return kwargs


def _check_url(url: str | None) -> None:
    """A server URL the SDK can use, or one line saying what is wrong with it."""
    if url is None:
        return
    import httpx

    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise ConfigError(f"the model server URL {url!r} is not valid: {exc}") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ConfigError(f"the model server URL {url!r} must start with http:// or "
                          "https:// and name a host, e.g. http://127.0.0.1:8080/v1")


@lru_cache(maxsize=16)
def strict_schema(schema: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema in the form OpenAI's strict mode accepts, built once.

    From pydantic's public `model_json_schema()`: every object is closed
    (`additionalProperties: false`) and lists every property as required (an optional
    field stays nullable through its `anyOf [..., null]`), defaults are dropped, a
    single-entry `allOf` is merged, and a `$ref` with keys beside it (a description) is
    inlined, since strict mode allows a `$ref` only on its own."""
    root = schema.model_json_schema()
    return _strict(root, root, schema.__name__)


def _strict(node: dict[str, Any], root: dict[str, Any], where: str) -> dict[str, Any]:
    for name, sub in (node.get("$defs") or {}).items():
        _strict(sub, root, f"{where}.$defs.{name}")
    if node.get("type") == "object":
        extra = node.setdefault("additionalProperties", False)
        if extra is not False:
            raise TypeError(f"{where}: strict mode needs a closed object; a free-form mapping "
                            "(extra fields or a dict) cannot be asked for")
    properties = node.get("properties")
    if isinstance(properties, dict):
        node["required"] = list(properties)
        node["properties"] = {key: _strict(sub, root, f"{where}.{key}")
                              for key, sub in properties.items()}
    if isinstance(node.get("items"), dict):
        node["items"] = _strict(node["items"], root, f"{where}[]")
    if isinstance(node.get("anyOf"), list):
        node["anyOf"] = [_strict(sub, root, where) for sub in node["anyOf"]]
    all_of = node.get("allOf")
    if isinstance(all_of, list):
        if len(all_of) == 1:
            node.update(_strict(all_of[0], root, where))
            node.pop("allOf")
        else:
            node["allOf"] = [_strict(sub, root, where) for sub in all_of]
    node.pop("default", None)  # strict mode asks for every field, so defaults mean nothing
    ref = node.get("$ref")
    if isinstance(ref, str) and len(node) > 1:
        node.update({**_resolve(root, ref), **node})
        node.pop("$ref")
        return _strict(node, root, where)  # the inlined schema needs the same treatment
    return node


def _resolve(root: dict[str, Any], ref: str) -> dict[str, Any]:
    """The definition a local `$ref` ("#/$defs/Name") points at, as a copy."""
    if not ref.startswith("#/"):
        raise TypeError(f"cannot inline the non-local $ref {ref!r}")
    found: Any = root
    for key in ref[2:].split("/"):
        found = found[key]
    return dict(found)


def extract_json(content: str) -> str:
    """The JSON object inside an answer that may carry code fences or chatter."""
    fenced = _FENCE.search(content)
    if fenced:
        content = fenced.group(1)
    start, end = content.find("{"), content.rfind("}")
    return content[start:end + 1] if start >= 0 and end > start else content


def parse_output(content: str, schema: type[T]) -> T:
    """Validate an answer; the error message is what the model is shown on a re-ask."""
    if not content.strip():
        raise InvalidOutputError("the answer was empty")
    try:
        data = json.loads(extract_json(content))
    except json.JSONDecodeError as exc:
        raise InvalidOutputError(f"the answer is not valid JSON ({exc.msg} at "
                                 f"line {exc.lineno} column {exc.colno})") from None
    if isinstance(data, dict) and set(data) == {"refusal"}:
        raise InvalidOutputError(f"the model refused: {str(data['refusal'])[:200]}")
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'answer'}: {err['msg']}"
            for err in exc.errors()[:8]
        )
        raise InvalidOutputError(f"the JSON does not match the schema: {problems}") from None

