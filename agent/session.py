"""The one owner of the model client's life, for draft, batch, eval and the desk.

    async with Session(settings) as session:
        result = await session.draft(email, tone=Tone.warm)
        judge = Judge(session.client, ...)  # eval: the judge shares the client

Everything a run sends to the model goes through one client: one connection pool, one
retry policy and the structured-output mode it settled on. The client is closed when the
session ends, however it ends. With no model configured `client` is None and drafts come
from the offline composer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from agent.config import Settings
from agent.drafter import draft_email
from agent.inbound import InboundEmail
from agent.llm import ModelClient
from agent.models import DraftResult, Facts, Tone


class Session:
    def __init__(self, settings: Settings, *, client: ModelClient | None = None) -> None:
        """`client` replaces the one made from the settings (tests pass a fake); the
        session closes it all the same."""
        self.settings = settings
        self.client = client if client is not None else \
            ModelClient(settings) if settings.model_configured else None

    async def __aenter__(self) -> Session:
        return self

    async def __aexit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self.client is not None:
            await self.client.aclose()

    async def draft(
        self,
        email: InboundEmail,
        *,
        tone: Tone | None = None,
        facts: Facts | None = None,
        prompts_dir: Path | None = None,
        today: dt.date | None = None,
        on_text: Callable[[str], None] | None = None,
    ) -> DraftResult:
        """One guarded draft (see `agent.drafter.draft_email`) through this session's client."""
        return await draft_email(email, self.settings, client=self.client, tone=tone,
                                 facts=facts, prompts_dir=prompts_dir, today=today,
                                 on_text=on_text)
