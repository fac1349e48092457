"""Strict validation of the spend rules in the config file.

spendtui's own form, a top-level list::

    rules:
      - name: grok requests                 # unique
        measure: requests                    # spend, requests, tokens, failures, failure_rate
        scope: {model: grok-code-fast-1}     # model, tag, key, team, user, customer,
                                             #   organization, project, agent, provider:
                                             #   a value or a list (AND across, OR within)
        period: day                          # hour, day, week, month (the profile's zone)
        above: 1000                          # USD for spend; a count; 0.05 or "5%" for failure_rate
        channels:                            # optional: without, the rule is only shown
          - webhook: os.environ/SLACK_WEBHOOK_URL
          - email: [admin@company.com, finance@company.com]
      - name: errors
        measure: failure_rate
        period: hour
        above: 5%
        min_requests: 20                     # failure_rate only (default 0)
      - name: spend spike
        kind: spike                          # the last full hour against its 7-day median
        measure: spend                       # spend or requests
        factor: 3                            # more than 3 × the median of the same hour
        floor: 5.0                           # and more than $5 (required for spend;
                                             #   for requests a count, default 0)

and LiteLLM's ``slack_alerts`` (at the top level or under ``litellm_settings:``), as the
cost-tracking guide writes it: ``daily_spend`` (today's spend above ``threshold`` USD)
and ``model_usage`` (today's requests of ``model`` above ``threshold``), both to
``webhook_url``; each alert becomes a rule named after its place
(``slack_alerts.alerts[0] daily_spend``).

Every problem is one ConfigError naming the file and the key (``rules[2].period``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Any

from spendtui.budgets.config import _Checker
from spendtui.config import Config
from spendtui.core.plans import SCOPE_DIMENSIONS
from spendtui.core.rule_periods import RULE_PERIODS
from spendtui.core.rules import MEASURES, SPIKE_MEASURES, AnyRule, Channel, Rule, SpikeRule
from spendtui.core.scopes import Scope

#: A count beyond this is a typo (requests, tokens, failures).
MAX_COUNT = 10**15
MAX_FACTOR = 1000
_COMMON_KEYS = {"name", "kind", "measure", "scope", "channels"}
_THRESHOLD_KEYS = _COMMON_KEYS | {"period", "above", "min_requests"}
_SPIKE_KEYS = _COMMON_KEYS | {"factor", "floor"}
_KINDS = ("threshold", "spike")
#: ``daily`` etc. as budget plans spell them.
_PERIOD_ALIASES = {"hourly": "hour", "daily": "day", "weekly": "week", "monthly": "month"}
_SLACK_KEYS = {"webhook_url", "alerts"}
_SLACK_ALERT_KEYS = {"type", "threshold", "model"}
_SLACK_TYPES = ("daily_spend", "model_usage")


@dataclass(frozen=True)
class RuleSettings:
    """The validated spend rules, in config order (``rules:`` first, then slack_alerts)."""

    rules: tuple[AnyRule, ...] = ()

    @property
    def webhooks(self) -> list[str]:
        """Every distinct webhook URL (secret: never print these)."""
        return list(dict.fromkeys(c.target for r in self.rules for c in r.channels if c.kind == "webhook"))

    @property
    def emails(self) -> list[str]:
        """Every distinct email address a rule sends to."""
        return list(dict.fromkeys(c.target for r in self.rules for c in r.channels if c.kind == "email"))


class _RuleChecker(_Checker):
    """The budget checker's helpers (``fail``, ``mapping``, ``text``, ``amount``,
    ``webhook``, ``scope``) plus what rules need."""

    def choice(self, value: Any, key: str, allowed: tuple[str, ...], aliases: Mapping[str, str] | None = None) -> str:
        text = self.text(value, key).lower()
        text = (aliases or {}).get(text, text)
        if text not in allowed:
            raise self.fail(key, f"expected one of {', '.join(allowed)}, got {value!r:.60}")
        return text

    def number(self, value: Any, key: str, what: str) -> Decimal:
        if isinstance(value, str):
            value = value.strip().replace(",", "")
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise self.fail(key, f"expected {what}, got {type(value).__name__}")
        try:
            number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        except (InvalidOperation, ValueError):
            raise self.fail(key, f"expected {what}, got {value!r:.60}") from None
        if not number.is_finite():
            raise self.fail(key, f"expected {what}, got {value!r:.60}")
        return number

    def count(self, value: Any, key: str) -> int:
        what = "a whole number such as 1000"
        number = self.number(value, key, what)
        if number != number.to_integral_value() or not 0 <= number <= MAX_COUNT:
            raise self.fail(key, f"expected {what} (0 to {MAX_COUNT:,}), got {value!r:.60}")
        return int(number)

    def rate(self, value: Any, key: str) -> Fraction:
        what = "a fraction from 0 to 1 such as 0.05, or a percentage such as '5%'"
        percent = isinstance(value, str) and value.strip().endswith("%")
        number = self.number(value.strip()[:-1] if percent else value, key, what)
        number = number / 100 if percent else number
        if not 0 <= number <= 1:
            raise self.fail(key, f"expected {what}, got {value!r:.60}")
        return Fraction(number)

    def limit(self, measure: str, value: Any, key: str) -> Fraction:
        """``above``/``floor`` in the measure's unit: pico-dollars, a count or a rate."""
        if measure == "spend":
            return Fraction(self.amount(value, key))
        if measure == "failure_rate":
            return self.rate(value, key)
        return Fraction(self.count(value, key))

    def emails(self, value: Any, key: str) -> list[str]:
        raw = value if isinstance(value, list) else [value]
        if not raw:
            raise self.fail(key, "expected an email address or a list of them")
        out = []
        for i, item in enumerate(raw):
            where = f"{key}[{i}]" if isinstance(value, list) else key
            address = self.text(item, where)
            local, at, domain = address.rpartition("@")
            if not at or not local or "." not in domain or any(c.isspace() for c in address):
                raise self.fail(where, f"expected an email address such as admin@company.com, got {address!r:.60}")
            out.append(address)
        return out

    def channels(self, value: Any, key: str) -> tuple[Channel, ...]:
        if not isinstance(value, list):
            raise self.fail(
                key, f"expected a list of {{webhook: URL}} or {{email: ADDRESS}}, got {type(value).__name__}"
            )
        out: list[Channel] = []
        for i, raw in enumerate(value):
            where = f"{key}[{i}]"
            item = self.mapping(raw, where, {"webhook", "email"})
            if item.get("webhook") is None and item.get("email") is None:
                raise self.fail(where, "needs a webhook URL or an email address")
            if item.get("webhook") is not None:
                out.append(Channel("webhook", self.webhook(item["webhook"], f"{where}.webhook")))
            if item.get("email") is not None:
                out += [Channel("email", a) for a in self.emails(item["email"], f"{where}.email")]
        return tuple(dict.fromkeys(out))

    def rule_scope(self, value: Any, key: str) -> Scope:
        if value is None:
            return ()
        return self.scope(self.mapping(value, key, set(SCOPE_DIMENSIONS)), key)

    def rule(self, raw: Any, key: str) -> AnyRule:
        kind = "threshold"
        if isinstance(raw, dict) and raw.get("kind") is not None:
            kind = self.choice(raw["kind"], f"{key}.kind", _KINDS)
        spike = kind == "spike"
        hint = "It is a spike rule's setting (kind: spike)." if not spike else "It is a threshold rule's setting."
        allowed = _SPIKE_KEYS if spike else _THRESHOLD_KEYS
        item = self.mapping(raw, key, allowed, _SPIKE_KEYS | _THRESHOLD_KEYS, hint)
        for needed in ("name", "measure", *(("factor",) if spike else ("period", "above"))):
            if item.get(needed) is None:
                raise self.fail(key, f"a {kind} rule needs {needed}")
        name = self.text(item["name"], f"{key}.name")
        measure = self.choice(item["measure"], f"{key}.measure", SPIKE_MEASURES if spike else MEASURES)
        scope = self.rule_scope(item.get("scope"), f"{key}.scope")
        channels = self.channels(item["channels"], f"{key}.channels") if item.get("channels") is not None else ()
        if spike:
            factor = self.number(item["factor"], f"{key}.factor", "a factor such as 3")
            if not 1 <= factor <= MAX_FACTOR:
                raise self.fail(
                    f"{key}.factor", f"expected a factor from 1 to {MAX_FACTOR}, got {item['factor']!r:.60}"
                )
            if item.get("floor") is None and measure == "spend":
                raise self.fail(key, "a spend spike rule needs a floor in USD (e.g. 5.0): idle scopes would page")
            floor = self.limit(measure, item["floor"], f"{key}.floor") if item.get("floor") is not None else Fraction(0)
            return SpikeRule(name, measure, Fraction(factor), floor, scope, channels, key)
        period = self.choice(item["period"], f"{key}.period", RULE_PERIODS, _PERIOD_ALIASES)
        above = self.limit(measure, item["above"], f"{key}.above")
        min_requests = 0
        if item.get("min_requests") is not None:
            if measure != "failure_rate":
                raise self.fail(f"{key}.min_requests", "only a failure_rate rule takes min_requests")
            min_requests = self.count(item["min_requests"], f"{key}.min_requests")
        return Rule(name, measure, period, above, scope, channels, min_requests, key)

    def slack(self, raw: Any, key: str) -> list[Rule]:
        block = self.mapping(raw, key, _SLACK_KEYS)
        for needed in ("webhook_url", "alerts"):
            if block.get(needed) is None:
                raise self.fail(key, f"needs {needed}")
        channel = Channel("webhook", self.webhook(block["webhook_url"], f"{key}.webhook_url"))
        alerts = block["alerts"]
        if not isinstance(alerts, list):
            raise self.fail(
                f"{key}.alerts", f"expected a list of {{type, threshold}} entries, got {type(alerts).__name__}"
            )
        out = []
        for i, entry in enumerate(alerts):
            where = f"{key}.alerts[{i}]"
            item = self.mapping(entry, where, _SLACK_ALERT_KEYS)
            if item.get("type") is None or item.get("threshold") is None:
                raise self.fail(where, f"needs a type ({', '.join(_SLACK_TYPES)}) and a threshold")
            kind = self.choice(item["type"], f"{where}.type", _SLACK_TYPES)
            name = f"{where} {kind}"
            if kind == "daily_spend":
                if item.get("model") is not None:
                    raise self.fail(f"{where}.model", "only a model_usage alert names a model")
                above = Fraction(self.amount(item["threshold"], f"{where}.threshold"))
                out.append(Rule(name, "spend", "day", above, (), (channel,), where=where))
                continue
            if item.get("model") is None:
                raise self.fail(where, "a model_usage alert needs a model")
            scope = self.scope({"model": item["model"]}, where)
            above = Fraction(self.count(item["threshold"], f"{where}.threshold"))
            out.append(Rule(name, "requests", "day", above, scope, (channel,), where=where))
        return out


def parse_rule_settings(
    data: Mapping[str, Any], path: Path | None = None, env: Mapping[str, str] | None = None
) -> RuleSettings:
    """Validate ``rules``, ``slack_alerts`` and ``litellm_settings.slack_alerts`` of a
    loaded config file."""
    check = _RuleChecker(path, os.environ if env is None else env)
    found: list[tuple[str, AnyRule]] = []
    raw_rules = data.get("rules")
    if raw_rules is not None:
        if not isinstance(raw_rules, list):
            raise check.fail("rules", f"expected a list, got {type(raw_rules).__name__}")
        found += [(f"rules[{i}].name", check.rule(raw, f"rules[{i}]")) for i, raw in enumerate(raw_rules)]
    pasted = data.get("litellm_settings")
    if pasted is not None and not isinstance(pasted, dict):
        raise check.fail("litellm_settings", f"expected a mapping, got {type(pasted).__name__}")
    blocks = [
        ("slack_alerts", data.get("slack_alerts")),
        ("litellm_settings.slack_alerts", (pasted or {}).get("slack_alerts")),
    ]
    for key, block in blocks:
        if block is not None:
            found += [(f"{rule.where}.type", rule) for rule in check.slack(block, key)]
    seen: set[str] = set()
    for key, rule in found:
        if rule.name in seen:
            raise check.fail(key, f"another rule is already named {rule.name!r}")
        seen.add(rule.name)
    return RuleSettings(tuple(rule for _, rule in found))


def rule_settings(config: Config, env: Mapping[str, str] | None = None) -> RuleSettings:
    """The validated spend rules of a loaded ``Config``."""
    data = {
        "rules": config.rules or None,
        "slack_alerts": config.slack_alerts,
        "litellm_settings": config.litellm_settings,
    }
    return parse_rule_settings(data, config.path, env)
