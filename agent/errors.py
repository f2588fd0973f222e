"""Every error a user can see, with its exit code, and the one place SDK errors are mapped.

Each error's message is one line that says what went wrong and what to do about it.
The CLI prints `error: <message>` and exits with `exit_code`; no traceback reaches a user.
"""

from __future__ import annotations

import re

EXIT_OK = 0
EXIT_BELOW_THRESHOLD = 1  # eval: a rubric fell short of its threshold
EXIT_USAGE = 2  # click's own code for bad flags
EXIT_INPUT = 3
EXIT_CONFIG = 4
EXIT_MODEL = 5
EXIT_FLAGGED = 6  # draft: printed, but the guard still objects
EXIT_HARNESS = 7  # eval: the harness itself failed
EXIT_BUSY = 8  # draft --batch: another run holds the output file, or replaced it mid-run
EXIT_INTERRUPTED = 130  # Ctrl+C
EXIT_TERMINATED = 143  # SIGTERM


SECRET_VARIABLES = ("OPENAI_API_KEY", "AZURE_OPENAI_API_KEY")


def env_secrets() -> tuple[str, ...]:
    """The secrets calmreply holds: API keys from the environment."""
    import os

    return tuple(v for v in (os.environ.get(n) for n in SECRET_VARIABLES) if v)


MIN_SECRET_PREFIX = 4  # a run this long of a secret's first characters is already a leak


def _secret_pattern(secret: str) -> re.Pattern[str]:
    """The secret, or any start of it at least MIN_SECRET_PREFIX long, standing on its own
    (not inside a longer word: 'task-c' does not hide 'sk-c')."""
    prefixes = "|".join(re.escape(secret[:n])
                        for n in range(len(secret), MIN_SECRET_PREFIX - 1, -1))
    return re.compile(rf"(?<![A-Za-z0-9])(?:{prefixes})")


def redact(text: str, secrets: tuple[str | None, ...] | None = None) -> str:
    """Hide every secret (an API key, say) in text that is about to be shown or stored,
    and every run of its first characters, so a cut-off copy leaks nothing either."""
    for secret in env_secrets() if secrets is None else secrets:
        if secret and len(secret) >= MIN_SECRET_PREFIX:
            text = text.replace(secret, "***")
            text = _secret_pattern(secret).sub("***", text)
    return text


def held_back(text: str, secrets: tuple[str | None, ...] | None = None) -> int:
    """How many characters at the end of a growing text could be the start of a secret:
    a stream must hold them back until the next characters decide."""
    longest = 0
    for secret in env_secrets() if secrets is None else secrets:
        if not secret:
            continue
        for n in range(min(len(secret), len(text)), 0, -1):
            if text.endswith(secret[:n]):
                longest = max(longest, n)
                break
    return longest


class CalmreplyError(Exception):
    """Its message is redacted when made, so no later path can leak a key through it."""

    exit_code = EXIT_INPUT

    def __init__(self, message: str) -> None:
        message = redact(message)
        super().__init__(message)
        self.message = message


class InputError(CalmreplyError):
    """The email (or a suite, or a JSONL line) cannot be used."""

    exit_code = EXIT_INPUT


class ConfigError(CalmreplyError):
    """The config file, a template or a flag value is wrong."""

    exit_code = EXIT_CONFIG


class TemplateFailure(ConfigError):
    """A prompt template failed to load or render; `template` is the file where it
    happened (the innermost include) and `line` its line, when known."""

    def __init__(self, message: str, *, template: str | None = None,
                 line: int | None = None) -> None:
        super().__init__(message)
        self.template = template
        self.line = line


class BusyError(CalmreplyError):
    """Another run holds the batch output file, or replaced it under this run."""

    exit_code = EXIT_BUSY


class StoppedError(CalmreplyError):
    """A signal stopped the run; what was written is kept (batch: re-run to resume)."""

    exit_code = EXIT_TERMINATED


class ModelError(CalmreplyError):
    """The model could not give a usable answer."""

    exit_code = EXIT_MODEL
    retryable = False


class TransientModelError(ModelError):
    """Worth another try: rate limits, server errors, timeouts, dropped connections."""

    retryable = True

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class InvalidOutputError(ModelError):
    """The model answered, but not with what the schema asks for (after all re-asks)."""


def _retry_after(headers: object) -> float | None:
    """Seconds from a Retry-After (or retry-after-ms) header, if the server sent one."""
    get = getattr(headers, "get", None)
    if get is None:
        return None
    ms = get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            import datetime as dt

            when = parsedate_to_datetime(value)
            return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())
        except (TypeError, ValueError):
            return None


def from_sdk(exc: BaseException, *, model: str | None, base_url: str | None) -> ModelError:
    """Map an `openai` SDK exception to a calmreply error with a fix in its message."""
    import httpx
    import openai

    where = base_url or "the OpenAI API"
    if isinstance(exc, ValueError):  # the SDK's json.JSONDecodeError on a garbled body
        return TransientModelError(f"{where} sent a response that is not valid JSON; "
                                   "try again")
    if isinstance(exc, httpx.TransportError):
        return TransientModelError(f"the connection to {where} dropped mid-answer; "
                                   "try again")
    if isinstance(exc, openai.APITimeoutError):
        return TransientModelError(f"the model at {where} did not answer in time; "
                                   "raise [model] timeout or try again")
    if isinstance(exc, openai.APIConnectionError):
        return TransientModelError(f"cannot reach a model server at {where}; check "
                                   "OPENAI_BASE_URL / --base-url and that the server is running")
    if isinstance(exc, openai.AuthenticationError):
        return ModelError(f"{where} rejected the API key (401); set a valid OPENAI_API_KEY")
    if isinstance(exc, openai.PermissionDeniedError):
        return ModelError(f"{where} refused access (403); check the key's project and "
                          "permissions for this model")
    if isinstance(exc, openai.NotFoundError):
        return ModelError(f"model '{model}' was not found at {where} (404); pick one the "
                          "server serves with --model or CALMREPLY_MODEL")
    if isinstance(exc, openai.RateLimitError):
        body = exc.body if isinstance(exc.body, dict) else {}
        code = str(body.get("code") or body.get("type") or "")
        if "insufficient_quota" in code or "insufficient_quota" in str(exc):
            return ModelError(f"the account behind OPENAI_API_KEY has no quota left at {where}; "
                              "add credit or use another key")
        return TransientModelError(f"{where} is rate limiting requests (429); wait and retry",
                                   retry_after=_retry_after(exc.response.headers))
    if isinstance(exc, openai.InternalServerError):
        return TransientModelError(f"{where} had a server error ({exc.status_code}); "
                                   "try again later",
                                   retry_after=_retry_after(exc.response.headers))
    if isinstance(exc, openai.BadRequestError):
        return ModelError(f"{where} rejected the request (400): {_short(exc)}")
    if isinstance(exc, openai.APIStatusError):
        if exc.status_code >= 500 or exc.status_code in (408, 409):
            return TransientModelError(f"{where} answered {exc.status_code}; try again later",
                                       retry_after=_retry_after(exc.response.headers))
        return ModelError(f"{where} answered {exc.status_code}: {_short(exc)}")
    return ModelError(f"unexpected error talking to {where}: {type(exc).__name__}")


def _short(exc: BaseException) -> str:
    text = " ".join(str(getattr(exc, "message", exc)).split())
    return text[:200]
