"""Settings: `calmreply.toml` (working directory, then the user's config directory),
then environment variables, then CLI flags, each overriding the one before.

Every number has an allowed range, checked when the file is read: a value outside it is
refused with one line that names the key, the value and the range (`max_credit = nan`
would switch the money check off; `response_hours = 0` would promise "within the hour").
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

import annotated_types
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.fields import FieldInfo

from agent.errors import ConfigError
from agent.inbound import DEFAULT_MAX_BYTES, DEFAULT_MAX_CHARS
from agent.models import Tone
from agent.profiles import Profile, ProfileSettings, resolve

CONFIG_NAME = "calmreply.toml"
MAX_MONEY = 1_000_000


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Policy(Section):
    """What an agent may offer without asking anyone. The guard holds drafts to it."""

    refunds: bool = True
    refund_window_days: int = Field(default=30, ge=0, le=3650)
    max_refund: float | None = Field(
        default=None, gt=0, le=MAX_MONEY, allow_inf_nan=False,
        description="Largest refund an agent may promise; None = order value.",
    )
    replacements: bool = True
    credits: bool = True
    max_credit: float = Field(default=20.0, ge=0, le=MAX_MONEY, allow_inf_nan=False)
    currency: str = "USD"
    response_hours: int = Field(default=48, ge=1, le=8760,
                                description="How soon we promise a next step (at most a year).")
    escalation_contact: str = "a team lead"


class Company(Section):
    name: str = "Acme Home Goods"
    agent_name: str = "Sam"
    signature: str = "Sam\nCustomer Care, Acme Home Goods"
    support_hours: str = "Monday to Friday, 9am to 6pm"
    # The only contact points a reply may contain (the guard flags any other): the
    # company's own domains (subdomains included), full URLs, e-mail addresses and phones.
    domains: list[str] = []
    urls: list[str] = []
    emails: list[str] = []
    phones: list[str] = []


class ModelSettings(Section):
    name: str | None = Field(default=None, description="Model (Azure: the deployment name).")
    base_url: str | None = None
    azure_endpoint: str | None = Field(
        default=None, description="Azure OpenAI resource URL; set to talk to Azure.")
    api_version: str = Field(default="2024-10-21", description="Azure OpenAI API version.")
    timeout: float = Field(default=60.0, gt=0, le=3600, allow_inf_nan=False)
    max_retries: int = Field(default=4, ge=0, le=20)
    max_reasks: int = Field(default=2, ge=0, le=10)
    max_revisions: int = Field(default=1, ge=0, le=5)
    temperature: float = Field(default=0.3, ge=0, le=2, allow_inf_nan=False)
    max_tokens: int = Field(default=1500, ge=64, le=1_000_000,
                            description="Longest answer asked for; a runaway model stops here.")
    fallback_offline: bool = Field(
        default=False, description="Compose offline when the model fails after its retries."
    )


class Price(Section):
    """What a model costs, in US dollars per million tokens ([prices."<model>"])."""

    input: float = Field(ge=0, le=10_000, allow_inf_nan=False)
    output: float = Field(ge=0, le=10_000, allow_inf_nan=False)
    cached_input: float | None = Field(
        default=None, ge=0, le=10_000, allow_inf_nan=False,
        description="Prompt tokens read from the provider's prompt cache "
        "(default: the input price).")
    batch_input: float | None = Field(
        default=None, ge=0, le=10_000, allow_inf_nan=False,
        description="Through the Batch API (default: half the input price).")
    batch_output: float | None = Field(
        default=None, ge=0, le=10_000, allow_inf_nan=False,
        description="Through the Batch API (default: half the output price).")


class BatchAPISettings(Section):
    """`--via batch-api`: the provider's limits (larger work is split into several batches)
    and how often to ask how a batch is doing. Defaults are OpenAI's published limits."""

    max_requests: int = Field(default=50_000, ge=1, le=10_000_000,
                              description="Requests per batch.")
    max_file_bytes: int = Field(default=200_000_000, ge=1_000, le=100_000_000_000,
                                description="Bytes per input file.")
    poll_seconds: float = Field(default=30.0, ge=0, le=3_600, allow_inf_nan=False)


class Desk(Section):
    """The agent desk's HTTP limits (uvicorn has no header or body read timeout of its own)."""

    header_timeout: float = Field(
        default=10.0, gt=0, le=300, allow_inf_nan=False,
        description="Seconds a connection may take to send a request's headers.")
    body_timeout: float = Field(
        default=30.0, gt=0, le=600, allow_inf_nan=False,
        description="Seconds the request body may pause between two reads.")
    keep_alive: int = Field(default=5, ge=1, le=300,
                            description="Seconds an idle keep-alive connection stays open.")
    max_connections: int = Field(
        default=100, ge=1, le=10_000,
        description="Open connections (and requests in flight) before new ones get a 503.")
    max_header_bytes: int = Field(default=16_384, ge=1_024, le=1_048_576,
                                  description="Largest request head (line and headers).")


class Settings(Section):
    company: Company = Company()
    policy: Policy = Policy()
    model: ModelSettings = ModelSettings()
    prices: dict[str, Price] = Field(default={}, description="Per model name, for cost "
                                     "estimates before and after a batch.")
    batch_api: BatchAPISettings = BatchAPISettings()
    desk: Desk = Desk()
    tone: Tone = Tone.warm
    profile: ProfileSettings = ProfileSettings()
    max_email_chars: int = Field(
        default=DEFAULT_MAX_CHARS, ge=200, le=10_000_000,
        description="Longer emails are cut at this many characters of the new message "
        "(quoted history is dropped first) and the draft says so in its notice.",
    )
    max_input_bytes: int = Field(default=DEFAULT_MAX_BYTES, ge=1_000, le=100_000_000,
                                 description="Larger files (and batch emails, and desk "
                                 "requests) are refused.")
    prompts_dir: Path | None = None
    offline: bool = Field(default=False, description="Never call a model (--offline).")
    source: Path | None = Field(default=None, description="The config file read, if any.")

    @property
    def active_profile(self) -> Profile:
        """The company profile in force (`[profile]`; e-commerce by default)."""
        return resolve(self.profile)

    @property
    def api_key(self) -> str | None:
        names = ("AZURE_OPENAI_API_KEY", "OPENAI_API_KEY") if self.model.azure_endpoint \
            else ("OPENAI_API_KEY",)
        return next((os.environ[n] for n in names if os.environ.get(n)), None)

    @property
    def model_configured(self) -> bool:
        """A model is configured when there is a key, a base URL or an Azure endpoint."""
        return not self.offline and bool(
            self.api_key or self.model.base_url or self.model.azure_endpoint)


def find_config(explicit: Path | None = None) -> Path | None:
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"config file not found: {explicit}")
        return explicit
    local = Path.cwd() / CONFIG_NAME
    if local.is_file():
        return local
    from platformdirs import user_config_dir

    user = Path(user_config_dir("calmreply")) / CONFIG_NAME
    return user if user.is_file() else None


def load_settings(explicit: Path | None = None) -> Settings:
    """Read the config file (if any) and apply the environment on top."""
    path = find_config(explicit)
    data: dict[str, object] = {}
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path} is not valid TOML: {exc}") from None
        except OSError as exc:
            raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        settings = Settings.model_validate({**data, "source": path})
    except ValidationError as exc:
        raise ConfigError(f"{path}: {config_problem(exc)}") from None
    env = os.environ.get
    settings.model.name = env("CALMREPLY_MODEL") or settings.model.name
    settings.model.base_url = env("OPENAI_BASE_URL") or settings.model.base_url
    settings.model.azure_endpoint = env("AZURE_OPENAI_ENDPOINT") or settings.model.azure_endpoint
    settings.model.api_version = env("OPENAI_API_VERSION") or settings.model.api_version
    return settings


def config_problem(exc: ValidationError) -> str:
    """The first problem, as one line: the key, the value and (for a number) its range."""
    first = exc.errors()[0]
    loc = tuple(str(p) for p in first["loc"])
    where = ".".join(loc)
    if "input" not in first or first["type"] in ("missing", "extra_forbidden"):
        return f"'{where}': {first['msg']}"
    value = first["input"]
    shown = _toml_value(value)
    allowed = _allowed(_field(loc))
    if allowed and first["type"] in _RANGE_ERRORS:
        return f"{where} = {shown} is out of range; allowed: {allowed}"
    return f"{where} = {shown}: {first['msg']}" + (f" (allowed: {allowed})" if allowed else "")


_RANGE_ERRORS = {"greater_than", "greater_than_equal", "less_than", "less_than_equal",
                 "finite_number"}


def _toml_value(value: Any) -> str:
    if isinstance(value, float) and value != value:
        return "nan"
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        return "inf" if value > 0 else "-inf"
    if isinstance(value, str):
        return repr(value)
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _field(loc: tuple[str, ...]) -> FieldInfo | None:
    model: Any = Settings
    field: FieldInfo | None = None
    for part in loc:
        fields = getattr(model, "model_fields", None)
        if not fields or part not in fields:
            return None
        field = fields[part]
        model = field.annotation
    return field


def _number(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:,g}"


def _allowed(field: FieldInfo | None) -> str | None:
    """'1 to 8,760', 'more than 0, up to 3,600': the range a numeric field accepts."""
    if field is None:
        return None
    low: Any = None
    high: Any = None
    low_open = finite = False
    for meta in field.metadata:
        if isinstance(meta, annotated_types.Ge):
            low = meta.ge
        elif isinstance(meta, annotated_types.Gt):
            low, low_open = meta.gt, True
        elif isinstance(meta, annotated_types.Le):
            high = meta.le
        elif getattr(meta, "allow_inf_nan", None) is False:
            finite = True
    if low is None or high is None:  # every number here has both bounds
        return None
    text = f"more than {_number(low)}, up to {_number(high)}" if low_open \
        else f"{_number(low)} to {_number(high)}"
    return text + (", a finite number" if finite else "")
