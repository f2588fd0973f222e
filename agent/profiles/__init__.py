"""Company profiles: the categories a support team files emails under, per industry.

A profile names its categories, and for each one a description and examples (shown to the
model in the Analysis schema), keywords and named signals (read by the offline analyzer),
the goal a customer in that category usually has, and what happens next (the offline
composer's next step). Built-in profiles live beside this file as TOML
(`ecommerce`, the default, `airline`, `telecom`, `saas`); a company picks one, or writes
its own, under `[profile]` in calmreply.toml:

    [profile]
    use = "airline"                     # a built-in profile

    [profile]                           # or: a built-in with changes
    use = "telecom"
    name = "Northwind Fibre"
    [[profile.categories]]              # replaces the category of that name, or adds one
    name = "tv"
    description = "TV channels and boxes"
    keywords = ["channel", "set-top box", "tv guide"]
    next_step = { en = "check your TV service and the channels on your plan" }
"""

from __future__ import annotations

import tomllib
from functools import cached_property, lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from agent.offline.flags import Ask, Handling, Signal

PROFILES_DIR = Path(__file__).resolve().parent
BUILT_IN = ("ecommerce", "airline", "telecom", "saas")
DEFAULT = "ecommerce"
OTHER = "other"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CategorySpec(_Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")
    description: str = ""
    examples: list[str] = []
    keywords: list[str] = Field(default=[], description="Words or phrases (any language) "
                                "that point to this category, matched as whole words.")
    signals: dict[Signal, int] = Field(default={}, description="Named analyzer rules and "
                                       "their weight (1 weak, 3 strong, 5 decisive).")
    handling: Handling = Handling.generic
    goal: str = "to have their complaint looked at and resolved"
    next_step: dict[str, str] = Field(default={}, description="What happens next, per "
                                      "language code: 'I will <next_step> and come back "
                                      "to you ...'.")
    asks: list[Ask] = []

    @model_validator(mode="after")
    def _next_step_for_generic(self) -> CategorySpec:
        if self.handling is Handling.generic and "en" not in self.next_step:
            raise ValueError(f"category '{self.name}' needs next_step.en (what happens next)")
        return self


class Profile(_Strict):
    name: str
    description: str = ""
    reference: str = Field(default="order", description="What the customer's main "
                           "reference is called: order, booking, account.")
    categories: list[CategorySpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _valid(self) -> Profile:
        names = [c.name for c in self.categories]
        if len(set(names)) != len(names):
            raise ValueError(f"profile '{self.name}' lists a category twice")
        if OTHER not in names:
            raise ValueError(f"profile '{self.name}' needs an '{OTHER}' category")
        return self

    @cached_property
    def key(self) -> str:
        return self.model_dump_json()

    def __hash__(self) -> int:  # profiles key the analyzer's caches
        return hash(self.key)

    @property
    def category_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.categories)

    def category(self, name: str) -> CategorySpec:
        for spec in self.categories:
            if spec.name == name:
                return spec
        return self.category(OTHER)


class ProfileSettings(_Strict):
    """`[profile]` in calmreply.toml: a built-in profile, optionally renamed or changed."""

    use: str = DEFAULT
    name: str | None = None
    description: str | None = None
    reference: str | None = None
    categories: list[CategorySpec] = []

    @model_validator(mode="after")
    def _known(self) -> ProfileSettings:
        if self.use not in BUILT_IN:
            raise ValueError(f"unknown profile '{self.use}'; built-in profiles: "
                             f"{', '.join(BUILT_IN)}")
        return self


@lru_cache(maxsize=len(BUILT_IN))
def built_in(name: str) -> Profile:
    path = PROFILES_DIR / f"{name}.toml"
    try:
        return Profile.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
    except (OSError, tomllib.TOMLDecodeError, ValidationError) as exc:  # a packaging bug
        raise RuntimeError(f"built-in profile {path} is broken: {exc}") from exc


def resolve(settings: ProfileSettings) -> Profile:
    """The profile in force: the built-in one, with the config's changes on top."""
    if not (settings.name or settings.description or settings.reference
            or settings.categories):
        return built_in(settings.use)
    return _resolve(settings.model_dump_json())


@lru_cache(maxsize=16)
def _resolve(raw: str) -> Profile:
    settings = ProfileSettings.model_validate_json(raw)
    base = built_in(settings.use)
    categories = list(base.categories)
    for spec in settings.categories:
        at = next((i for i, c in enumerate(categories) if c.name == spec.name), None)
        if at is None:
            categories.insert(len(categories) - 1, spec)  # "other" stays last
        else:
            categories[at] = spec
    return Profile(name=settings.name or base.name,
                   description=settings.description or base.description,
                   reference=settings.reference or base.reference, categories=categories)
