"""Settings: `calmreply.toml` (working directory, then the user's config directory),
then environment variables, then CLI flags, each overriding the one before."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agent.errors import ConfigError
from agent.inbound import DEFAULT_MAX_BYTES, DEFAULT_MAX_CHARS
from agent.models import Tone
from agent.profiles import Profile, ProfileSettings, resolve

CONFIG_NAME = "calmreply.toml"


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Policy(Section):
    """What an agent may offer without asking anyone. The guard holds drafts to it."""

    refunds: bool = True
    refund_window_days: int = 30
    max_refund: float | None = Field(
        default=None, description="Largest refund an agent may promise; None = order value."
    )
    replacements: bool = True
    credits: bool = True
    max_credit: float = 20.0
    currency: str = "USD"
    response_hours: int = Field(default=48, description="How soon we promise a next step.")
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
    timeout: float = 60.0
    max_retries: int = Field(default=4, ge=0, le=20)
    max_reasks: int = Field(default=2, ge=0, le=10)
    max_revisions: int = Field(default=1, ge=0, le=5)
    temperature: float = 0.3
    max_tokens: int = Field(default=1500, ge=64,
                            description="Longest answer asked for; a runaway model stops here.")
    fallback_offline: bool = Field(
        default=False, description="Compose offline when the model fails after its retries."
    )


class Price(Section):
    """What a model costs, in US dollars per million tokens ([prices."<model>"])."""

    input: float = Field(ge=0)
    output: float = Field(ge=0)
    cached_input: float | None = Field(
        default=None, ge=0, description="Prompt tokens read from the provider's prompt cache "
        "(default: the input price).")
    batch_input: float | None = Field(
        default=None, ge=0, description="Through the Batch API (default: half the input price).")
    batch_output: float | None = Field(
        default=None, ge=0, description="Through the Batch API (default: half the output price).")


class BatchAPISettings(Section):
    """`--via batch-api`: the provider's limits (larger work is split into several batches)
    and how often to ask how a batch is doing. Defaults are OpenAI's published limits."""

    max_requests: int = Field(default=50_000, ge=1, description="Requests per batch.")
    max_file_bytes: int = Field(default=200_000_000, ge=1_000,
                                description="Bytes per input file.")
    poll_seconds: float = Field(default=30.0, ge=0)


class Settings(Section):
    company: Company = Company()
    policy: Policy = Policy()
    model: ModelSettings = ModelSettings()
    prices: dict[str, Price] = Field(default={}, description="Per model name, for cost "
                                     "estimates before and after a batch.")
    batch_api: BatchAPISettings = BatchAPISettings()
    tone: Tone = Tone.warm
    profile: ProfileSettings = ProfileSettings()
    max_email_chars: int = Field(
        default=DEFAULT_MAX_CHARS, ge=200,
        description="Longer emails are cut at this many characters of the new message "
        "(quoted history is dropped first) and the draft says so in its notice.",
    )
    max_input_bytes: int = Field(default=DEFAULT_MAX_BYTES, ge=1_000,
                                 description="Larger files are refused.")
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
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"{path}: '{where}': {first['msg']}") from None
    env = os.environ.get
    settings.model.name = env("CALMREPLY_MODEL") or settings.model.name
    settings.model.base_url = env("OPENAI_BASE_URL") or settings.model.base_url
    settings.model.azure_endpoint = env("AZURE_OPENAI_ENDPOINT") or settings.model.azure_endpoint
    settings.model.api_version = env("OPENAI_API_VERSION") or settings.model.api_version
    return settings
