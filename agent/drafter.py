"""The drafting agent: email in, guarded draft out.

With a model configured: render the playbook prompts, ask for analysis + draft in one
structured answer, run the guard, and let the model revise (bounded) what the guard
rejects. With no model configured (or, when opted in, after the model fails for good):
the rule-based analyzer and offline composer. Either way the guard has the last word.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from pathlib import Path

from agent.config import Settings
from agent.errors import ModelError, redact
from agent.guard import check_draft, guard_context
from agent.inbound import InboundEmail
from agent.language import detect_language
from agent.llm import ModelClient
from agent.messages import draft_messages, revise_message
from agent.models import DraftResult, Facts, GuardFinding, ModelOutput, Tone, Usage, output_model
from agent.prompting import template_errors

OFFLINE_NOTICE = ("Composed offline by calmreply's rule-based composer (no model configured); "
                  "read it through before sending.")
TRUNCATED_NOTICE = "The email was longer than the limit and was cut; read the full original."
log = logging.getLogger("calmreply.drafter")


async def draft_email(
    email: InboundEmail,
    settings: Settings,
    *,
    client: ModelClient | None,
    tone: Tone | None = None,
    facts: Facts | None = None,
    prompts_dir: Path | None = None,
    today: dt.date | None = None,
    on_text: Callable[[str], None] | None = None,
) -> DraftResult:
    """Draft one reply with `client`, or offline when it is None. Raises ModelError when
    the model fails and no fallback is set.

    The client belongs to the caller: `agent.session.Session` makes and closes it.
    `prompts_dir` overrides the settings' template directory (A/B runs use it)."""
    if prompts_dir is not None:
        settings = settings.model_copy(update={"prompts_dir": prompts_dir})
    if client is None:
        return compose_offline(email, settings, tone=tone, facts=facts, today=today)
    try:
        return await _draft_with_model(email, settings, client, tone=tone, facts=facts,
                                       today=today, on_text=on_text)
    except ModelError as exc:
        if not settings.model.fallback_offline:
            raise
        log.info("the model failed (%s); composing offline instead", exc.message)
        result = compose_offline(email, settings, tone=tone, facts=facts, today=today)
        result.notice = f"The model failed ({exc.message}); composed offline instead."
        return result


async def _draft_with_model(
    email: InboundEmail,
    settings: Settings,
    client: ModelClient,
    *,
    tone: Tone | None,
    facts: Facts | None,
    today: dt.date | None,
    on_text: Callable[[str], None] | None,
) -> DraftResult:
    messages = draft_messages(email, settings, tone=tone, facts=facts,
                              language_hint=detect_language(email.body), today=today)
    usage = Usage()
    schema = output_model(settings.active_profile)  # categories from the company profile
    output, _ = await client.structured(messages, schema, on_text=on_text, usage=usage)
    system_prompt = _without(messages[0]["content"], settings.company.signature)
    secrets = tuple(s for s in (settings.api_key,) if s)

    ctx = guard_context(settings, email, facts, prompt=system_prompt, secrets=secrets)

    def guard(out: ModelOutput) -> list[GuardFinding]:
        return check_draft(out.draft, out.analysis, ctx)

    findings = guard(output)
    revisions = 0
    while findings and revisions < settings.model.max_revisions:
        log.info("the guard flagged the draft (%s); asking the model to revise (%d of %d)",
                 ", ".join(sorted({f.check for f in findings})), revisions + 1,
                 settings.model.max_revisions)
        convo = [*messages,
                 {"role": "assistant", "content": json.dumps(output.model_dump(mode="json"))},
                 revise_message(findings, settings.prompts_dir)]
        output, _ = await client.structured(convo, schema, usage=usage)
        revisions += 1
        findings = guard(output)
    # A reply that leaks a key is flagged above, and the key itself never leaves here.
    output = schema.model_validate_json(redact(output.model_dump_json(), secrets))
    return DraftResult(
        source="model",
        model=client.model,
        analysis=output.analysis,
        draft=output.draft,
        flagged=bool(findings),
        guard=findings,
        revisions=revisions,
        usage=usage if usage.calls else None,  # None: the server reported no usage
        notice=TRUNCATED_NOTICE if email.truncated else None,
    )


def compose_offline(
    email: InboundEmail,
    settings: Settings,
    *,
    tone: Tone | None = None,
    facts: Facts | None = None,
    today: dt.date | None = None,
) -> DraftResult:
    from agent.offline.analyzer import analyze
    from agent.offline.composer import compose

    analysis = analyze(email, facts, settings.active_profile)
    with template_errors(settings.prompts_dir):
        draft = compose(email, analysis, settings, tone=tone or settings.tone, facts=facts,
                        today=today or dt.date.today())
    findings = check_draft(draft, analysis, guard_context(settings, email, facts))
    notice = OFFLINE_NOTICE + (" " + TRUNCATED_NOTICE if email.truncated else "")
    return DraftResult(source="offline", model=None, analysis=analysis, draft=draft,
                       flagged=bool(findings), guard=findings, notice=notice)


def _without(text: str, part: str) -> str:
    return text.replace(part, "") if part else text
