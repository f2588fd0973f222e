"""Tokens and money: an estimate before a batch is sent, the real usage after.

The estimate is deterministic and needs no tokenizer: about four characters per token
(OpenAI's rule of thumb for English text) over every message and the response format,
plus four tokens of framing per message. Real counts differ by tokenizer and language
(expect ±25%); the output side is a ceiling, `max_tokens` per request. Prices come from
`[prices."<model>"]` in calmreply.toml, in US dollars per million tokens; the Batch API
price defaults to half the live one, as OpenAI and Azure charge.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from agent.config import Price, Settings
from agent.models import Usage

CHARS_PER_TOKEN = 4
TOKENS_PER_MESSAGE = 4


def tokens(text: str) -> int:
    return -(-len(text) // CHARS_PER_TOKEN)


@dataclass
class Estimate:
    requests: int = 0
    prompt_tokens: int = 0
    output_tokens: int = 0  # a ceiling: max_tokens per request
    prefix_tokens: int = 0  # the system prompt, the same bytes at the start of every request

    def add(self, body: dict[str, Any]) -> None:
        messages = body.get("messages") or []
        text = sum(len(str(m.get("content") or "")) for m in messages)
        text += len(json.dumps(body.get("response_format") or {}))
        self.prompt_tokens += -(-text // CHARS_PER_TOKEN) + TOKENS_PER_MESSAGE * len(messages)
        self.output_tokens += int(body.get("max_tokens") or 0)
        if messages and messages[0].get("role") == "system":
            self.prefix_tokens = max(self.prefix_tokens, tokens(str(messages[0]["content"])))
        self.requests += 1


def _rates(price: Price, batch: bool) -> tuple[float, float, float]:
    """(input, cached input, output) in dollars per million tokens."""
    cached = price.cached_input if price.cached_input is not None else price.input
    if not batch:
        return price.input, cached, price.output
    batch_in = price.batch_input if price.batch_input is not None else price.input / 2
    batch_out = price.batch_output if price.batch_output is not None else price.output / 2
    scale = batch_in / price.input if price.input else 1.0
    return batch_in, cached * scale, batch_out


def cost(price: Price, prompt: int, cached: int, output: int, *, batch: bool) -> float:
    rate_in, rate_cached, rate_out = _rates(price, batch)
    return ((prompt - cached) * rate_in + cached * rate_cached + output * rate_out) / 1e6


def _money(value: float) -> str:
    return f"${value:,.2f}" if value >= 0.01 or value == 0 else f"${value:.4f}"


def estimate_lines(estimate: Estimate, settings: Settings, model: str) -> list[str]:
    """What a batch will cost, before it is sent."""
    lines = [f"{estimate.requests:,} requests to {model}: about {estimate.prompt_tokens:,} "
             f"prompt tokens ({estimate.prefix_tokens:,} of each request are the same system "
             "prompt, which prompt caching can reuse), at most "
             f"{estimate.output_tokens:,} output tokens (max_tokens each)"]
    price = settings.prices.get(model)
    if price is None:
        lines.append(f'no prices for {model}: add [prices."{model}"] input = ..., output = ... '
                     "(dollars per million tokens) to calmreply.toml for a cost estimate")
        return lines
    live = cost(price, estimate.prompt_tokens, 0, estimate.output_tokens, batch=False)
    batch = cost(price, estimate.prompt_tokens, 0, estimate.output_tokens, batch=True)
    lines.append(f"estimated cost: at most {_money(live)} live, {_money(batch)} through the "
                 "Batch API")
    return lines


def usage_lines(batch: Usage, live: Usage, settings: Settings, model: str) -> list[str]:
    """What a batch took, from the usage the provider reported in its results."""
    lines = []
    for label, usage in (("batch answers", batch), ("live re-asks and revisions", live)):
        if usage.calls:
            lines.append(f"{label}: {usage.prompt_tokens:,} prompt tokens "
                         f"({usage.cached_tokens:,} cached), {usage.completion_tokens:,} output "
                         f"tokens in {usage.calls:,} answers")
    price = settings.prices.get(model)
    if price is not None and batch.calls:
        paid = cost(price, batch.prompt_tokens, batch.cached_tokens, batch.completion_tokens,
                    batch=True)
        unbatched = cost(price, batch.prompt_tokens, batch.cached_tokens,
                         batch.completion_tokens, batch=False)
        extra = cost(price, live.prompt_tokens, live.cached_tokens, live.completion_tokens,
                     batch=False)
        lines.append(f"cost: {_money(paid)} for the batch answers (live would have been "
                     f"{_money(unbatched)})" + (f", plus {_money(extra)} live" if live.calls
                                                 else ""))
    return lines
