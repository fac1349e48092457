"""Strict validation of the budget settings in the config file.

Three top-level keys (all optional)::

    alert_thresholds: [0.8, 1.0]          # fractions of each budget (default 0.8 and 1.0)
    budget_alerts:                         # where to post when a threshold is crossed
      - threshold: 0.8
        webhook: os.environ/SLACK_WEBHOOK_URL
      - threshold: 1.0                     # a webhook, email addresses, or both
        email: [admin@example.com, finance@example.com]
      - threshold: soft                    # a LiteLLM soft budget crossed
        webhook: https://hooks.slack.com/services/...
    budgets:
      - name: company quarterly            # a plan: spend counted from the records
        period: quarterly
        amounts: {Q1: 500, Q2: 750, Q3: 600, Q4: 1000}
      - name: web-app monthly
        tag: project:web-app               # scope: tag, team, model, key, user, customer, provider,
                                           #   organization, project, agent
        amount: 200
        period: monthly                    # daily, weekly, monthly, quarterly, yearly
        thresholds: [0.5, 0.8, 1.0]        # this plan only
        alerts: [{threshold: 0.5, webhook: https://example.com/hook}]
      - name: launch
        amount: 1500
        start: 2026-11-01                  # explicit dates instead of a period (inclusive)
        end: 2026-12-15
      - litellm: team:Alpha                # a LiteLLM budget (key, team, user, customer):
        thresholds: [0.5, 0.9, 1.0]        #   its own thresholds and alerts

Every problem is one ConfigError naming the file and the key (``budgets[1].amount``).
Thresholds named in ``budget_alerts`` are added to the global thresholds. ``email``
takes one address or a list and needs the top-level ``smtp:`` block
(``spendtui.budgets.smtp_config``); an entry becomes one ``AlertTarget`` per channel
(its webhook, each address).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from spendtui.budgets.smtp_config import SmtpSettings, address_problem, parse_smtp
from spendtui.config import LITELLM_SETTINGS_READ, Config, unknown_setting
from spendtui.core.budget_state import KINDS
from spendtui.core.plans import MONTHS, PERIODS, QUARTERS, SCOPE_DIMENSIONS, BudgetPlan
from spendtui.core.thresholds import DEFAULT_THRESHOLDS, AlertTarget, Threshold, normalise, parse_threshold
from spendtui.errors import ConfigError
from spendtui.money import usd_to_pico

ENV_PREFIX = "os.environ/"
MAX_AMOUNT_USD = Decimal(10) ** 12
_PLAN_KEYS = {
    "name",
    "amount",
    "amounts",
    "period",
    "start",
    "end",
    "thresholds",
    "alerts",
    *SCOPE_DIMENSIONS,
}
_OVERRIDE_KEYS = {"litellm", "thresholds", "alerts"}
_ALERT_KEYS = {"threshold", "webhook", "email"}
_OVERRIDE_HINT = "It is a budget plan's setting: an entry with litellm: sets only thresholds and alerts."


@dataclass(frozen=True)
class BudgetOverride:
    """Thresholds and alerts for one LiteLLM budget, found by id or by name."""

    kind: str
    ref: str
    thresholds: tuple[Threshold, ...] | None = None
    alerts: tuple[AlertTarget, ...] = ()


@dataclass(frozen=True)
class BudgetSettings:
    """The validated budget configuration."""

    thresholds: tuple[Threshold, ...] = DEFAULT_THRESHOLDS
    alerts: tuple[AlertTarget, ...] = ()
    plans: tuple[BudgetPlan, ...] = ()
    overrides: tuple[BudgetOverride, ...] = ()
    warnings: tuple[str, ...] = ()
    #: The ``smtp:`` block; set whenever an ``email`` target is configured.
    smtp: SmtpSettings | None = None

    def override_for(self, kind: str, ident: str, name: str) -> BudgetOverride | None:
        """The override naming this budget by id, else by name."""
        for match in (ident, name):
            for o in self.overrides:
                if o.kind == kind and o.ref == match:
                    return o
        return None

    @property
    def targets(self) -> list[AlertTarget]:
        """Every alert target: the global ones, then each plan's and override's."""
        out = list(self.alerts)
        out += [a for p in self.plans for a in p.alerts]
        out += [a for o in self.overrides for a in o.alerts]
        return out

    @property
    def webhooks(self) -> list[str]:
        """Every distinct webhook URL configured (secret: never print these)."""
        return list(dict.fromkeys(a.webhook for a in self.targets if a.webhook is not None))

    @property
    def emails(self) -> list[str]:
        """Every distinct email address configured."""
        return list(dict.fromkeys(a.email for a in self.targets if a.email is not None))


class _Checker:
    def __init__(self, path: Path | None, env: Mapping[str, str], smtp: SmtpSettings | None = None) -> None:
        self.path = path
        self.env = env
        self.smtp = smtp
        self.warnings: list[str] = []

    def fail(self, key: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.path or 'config'}: {key}: {problem}")

    def mapping(
        self,
        value: Any,
        key: str,
        allowed: set[str],
        other: frozenset[str] | set[str] = frozenset(),
        other_hint: str = "",
    ) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(key, f"expected a mapping, got {type(value).__name__}")
        for item in value:
            if not isinstance(item, str) or item not in allowed:
                problem = unknown_setting(str(item), allowed, other=other - allowed, other_hint=other_hint)
                raise self.fail(f"{key}.{item}", problem)
        return value

    def text(self, value: Any, key: str) -> str:
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, f"expected text, got {type(value).__name__}")
        return value.strip()

    def threshold(self, value: Any, key: str, *, allow_soft: bool = False) -> Threshold:
        try:
            return parse_threshold(value, allow_soft=allow_soft)
        except ValueError as exc:
            raise self.fail(key, str(exc)) from None

    def thresholds(self, value: Any, key: str) -> tuple[Threshold, ...]:
        if not isinstance(value, list):
            raise self.fail(key, f"expected a list of fractions such as [0.8, 1.0], got {type(value).__name__}")
        return normalise([self.threshold(v, f"{key}[{i}]") for i, v in enumerate(value)])

    def amount(self, value: Any, key: str) -> int:
        if isinstance(value, str):
            value = value.strip().removeprefix("$").replace(",", "")
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise self.fail(key, f"expected an amount in USD such as 500, got {type(value).__name__}")
        try:
            amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        except InvalidOperation:
            raise self.fail(key, f"expected an amount in USD such as 500, got {value!r}") from None
        if not amount.is_finite() or amount < 0 or amount > MAX_AMOUNT_USD:
            raise self.fail(key, f"must be between 0 and {MAX_AMOUNT_USD:,} USD, got {value!r}")
        return usd_to_pico(amount)

    def day(self, value: Any, key: str) -> date:
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value).strip())
        except ValueError:
            raise self.fail(key, f"expected a date YYYY-MM-DD, got {value!r}") from None

    def webhook(self, value: Any, key: str) -> str:
        if isinstance(value, str) and value.startswith(ENV_PREFIX):
            name = value[len(ENV_PREFIX) :].strip()
            if not name or name not in self.env:
                raise self.fail(key, f"environment variable {name or '(none)'} is not set")
            value = self.env[name]
        if not isinstance(value, str):
            raise self.fail(key, f"expected a URL, got {type(value).__name__}")
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            # the value is likely a secret: do not echo it
            raise self.fail(key, "must be an http:// or https:// URL (or os.environ/NAME)")
        return value.strip()

    def emails(self, value: Any, key: str) -> list[str]:
        """One address or a list of them. Without the ``smtp:`` block they are checked, then
        left out with a warning (LiteLLM's guide has ``email:`` entries and no server)."""
        many = isinstance(value, list)
        if many and not value:
            raise self.fail(key, "expected an email address or a list of them, got an empty list")
        out: list[str] = []
        for i, item in enumerate(value if many else [value]):
            where = f"{key}[{i}]" if many else key
            if not isinstance(item, str):
                raise self.fail(where, f"expected an email address, got {type(item).__name__}")
            problem = address_problem(item.strip())
            if problem:
                raise self.fail(where, f"{problem}, got {item!r:.60}")
            out.append(item.strip())
        if self.smtp is None:
            self.warnings.append(
                f"{self.path or 'config'}: {key}: no email is sent without an SMTP server: "
                "add an smtp: block (host, from) to the config"
            )
            return []
        return list(dict.fromkeys(out))

    def alerts(self, value: Any, key: str) -> tuple[AlertTarget, ...]:
        if not isinstance(value, list):
            raise self.fail(
                key, f"expected a list of {{threshold, webhook, email}} entries, got {type(value).__name__}"
            )
        out: list[AlertTarget] = []
        for i, raw in enumerate(value):
            where = f"{key}[{i}]"
            item = self.mapping(raw, where, _ALERT_KEYS)
            if "threshold" not in item:
                raise self.fail(where, "needs a threshold (e.g. 0.8, 1.0 or soft)")
            threshold = self.threshold(item["threshold"], f"{where}.threshold", allow_soft=True)
            if item.get("webhook") is None and item.get("email") is None:
                raise self.fail(where, "needs a webhook URL or an email address")
            if item.get("webhook") is not None:
                out.append(AlertTarget(threshold, self.webhook(item["webhook"], f"{where}.webhook"), where))
            if item.get("email") is not None:
                addresses = self.emails(item["email"], f"{where}.email")
                out += [AlertTarget(threshold, where=where, email=address) for address in addresses]
        return tuple(out)

    def scope(self, item: dict[str, Any], key: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
        out = []
        for dim in SCOPE_DIMENSIONS:
            if dim not in item or item[dim] is None:
                continue
            raw = item[dim] if isinstance(item[dim], list) else [item[dim]]
            if not raw:
                raise self.fail(f"{key}.{dim}", "expected a value or a list of values")
            values = [self.text(v, f"{key}.{dim}") for v in raw]
            if dim == "key":
                # a raw key in the config is hashed at once, as LiteLLM logs it
                values = [hashlib.sha256(v.encode()).hexdigest() if v.startswith("sk-") else v for v in values]
            out.append((dim, tuple(dict.fromkeys(values))))
        return tuple(out)

    def plan(self, item: dict[str, Any], key: str) -> BudgetPlan:
        if "name" not in item:
            raise self.fail(key, "a budget plan needs a name")
        name = self.text(item["name"], f"{key}.name")
        period = item.get("period")
        if period is not None:
            period = self.text(period, f"{key}.period").lower()
            if period not in PERIODS:
                raise self.fail(f"{key}.period", f"expected one of {', '.join(PERIODS)}, got {period!r}")
        start = self.day(item["start"], f"{key}.start") if item.get("start") is not None else None
        end = self.day(item["end"], f"{key}.end") if item.get("end") is not None else None
        if period is None and (start is None or end is None):
            raise self.fail(key, f"needs a period ({', '.join(PERIODS)}) or both start and end dates")
        if period is not None and (start is not None or end is not None):
            raise self.fail(key, "give either a period or start/end dates, not both")
        if start is not None and end is not None and end < start:
            raise self.fail(f"{key}.end", f"{end} is before start {start}")
        amount = self.amount(item["amount"], f"{key}.amount") if item.get("amount") is not None else None
        amounts = self.amounts(item.get("amounts"), f"{key}.amounts", period)
        if amount is None and not amounts:
            raise self.fail(key, "needs an amount (USD) or amounts per period")
        return BudgetPlan(
            name=name,
            period=period,
            amount=amount,
            amounts=amounts,
            start=start,
            end=end,
            scope=self.scope(item, key),
            thresholds=self.thresholds(item["thresholds"], f"{key}.thresholds") if "thresholds" in item else None,
            alerts=self.alerts(item["alerts"], f"{key}.alerts") if item.get("alerts") is not None else (),
        )

    def amounts(self, value: Any, key: str, period: str | None) -> dict[str, int]:
        if value is None:
            return {}
        if period not in ("quarterly", "monthly"):
            raise self.fail(key, "amounts per period need period: quarterly (Q1..Q4) or monthly (jan..dec)")
        if not isinstance(value, dict) or not value:
            raise self.fail(key, "expected a mapping such as {Q1: 500, Q2: 750}")
        out: dict[str, int] = {}
        for label, raw in value.items():
            name = _period_label(label, period)
            if name is None:
                allowed = "Q1, Q2, Q3, Q4" if period == "quarterly" else "jan..dec or 1..12"
                raise self.fail(f"{key}.{label}", f"unknown {period} period (use {allowed})")
            out[name] = self.amount(raw, f"{key}.{label}")
        return out

    def override(self, item: dict[str, Any], key: str) -> BudgetOverride:
        ref = self.text(item["litellm"], f"{key}.litellm")
        kind, _, ident = ref.partition(":")
        kinds = [k for k in KINDS if k != "plan"]
        if kind not in kinds or not ident.strip():
            raise self.fail(f"{key}.litellm", f"expected KIND:ID_OR_NAME with KIND one of {', '.join(kinds)}")
        ident = ident.strip()
        if kind == "key" and ident.startswith("sk-"):
            ident = hashlib.sha256(ident.encode()).hexdigest()
        if "thresholds" not in item and "alerts" not in item:
            raise self.fail(key, "a LiteLLM budget entry sets thresholds and/or alerts")
        return BudgetOverride(
            kind=kind,
            ref=ident,
            thresholds=self.thresholds(item["thresholds"], f"{key}.thresholds") if "thresholds" in item else None,
            alerts=self.alerts(item["alerts"], f"{key}.alerts") if item.get("alerts") is not None else (),
        )


_MONTH_NAMES = "january february march april may june july august september october november december".split()


def _period_label(label: object, period: str | None) -> str | None:
    """``Q1``..``Q4`` for quarters; a month as 1..12, ``jan`` or ``january`` (any case)."""
    text = str(label).strip().lower()
    if period == "quarterly":
        return text.upper() if text.upper() in QUARTERS else None
    if isinstance(label, int) and not isinstance(label, bool):
        return MONTHS[label - 1] if 1 <= label <= 12 else None
    if text in MONTHS:
        return text
    return MONTHS[_MONTH_NAMES.index(text)] if text in _MONTH_NAMES else None


def parse_budget_settings(
    data: Mapping[str, Any], path: Path | None = None, env: Mapping[str, str] | None = None
) -> BudgetSettings:
    """Validate ``smtp``, ``alert_thresholds``, ``budget_alerts`` and ``budgets`` of a loaded config file."""
    env = os.environ if env is None else env
    smtp = parse_smtp(data.get("smtp"), path, env)
    check = _Checker(path, env, smtp)
    thresholds = DEFAULT_THRESHOLDS
    if data.get("alert_thresholds") is not None:
        thresholds = check.thresholds(data["alert_thresholds"], "alert_thresholds")
    alerts = check.alerts(data["budget_alerts"], "budget_alerts") if data.get("budget_alerts") is not None else ()
    thresholds = normalise([*thresholds, *(a.threshold for a in alerts if not a.threshold.is_soft)])
    plans: list[BudgetPlan] = []
    overrides: list[BudgetOverride] = []
    raw_budgets = data.get("budgets") or []
    if not isinstance(raw_budgets, list):
        raise check.fail("budgets", f"expected a list, got {type(raw_budgets).__name__}")
    for i, raw in enumerate(raw_budgets):
        key = f"budgets[{i}]"
        if isinstance(raw, dict) and "litellm" in raw:
            entry = check.mapping(raw, key, _OVERRIDE_KEYS, _PLAN_KEYS, _OVERRIDE_HINT)
            overrides.append(check.override(entry, key))
            continue
        plan = check.plan(check.mapping(raw, key, _PLAN_KEYS), key)
        if any(p.name == plan.name for p in plans):
            raise check.fail(f"{key}.name", f"another budget is already named {plan.name!r}")
        plans.append(plan)
    return BudgetSettings(thresholds, alerts, tuple(plans), tuple(overrides), tuple(check.warnings), smtp)


def budget_settings(config: Config, env: Mapping[str, str] | None = None) -> BudgetSettings:
    """The validated budget settings of a loaded ``Config``. A pasted LiteLLM block's
    ``litellm_settings.budget_alerts`` joins ``budget_alerts``; its settings spendtui does
    not read are ignored, each with a warning."""
    data = {
        "alert_thresholds": config.alert_thresholds if config.alert_thresholds else None,
        "budget_alerts": config.budget_alerts or None,
        "budgets": config.budgets or [],
        "smtp": config.smtp,
    }
    settings = parse_budget_settings(data, config.path, env)
    pasted = config.litellm_settings
    ignored = [key for key in pasted if key not in LITELLM_SETTINGS_READ]
    warnings = [
        f"{config.path or 'config'}: litellm_settings.{key}: not read by spendtui "
        f"(it reads {', '.join(LITELLM_SETTINGS_READ)}); ignored"
        for key in ignored
    ]
    if pasted.get("budget_alerts") is not None:
        check = _Checker(config.path, os.environ if env is None else env, settings.smtp)
        more = check.alerts(pasted["budget_alerts"], "litellm_settings.budget_alerts")
        settings = replace(
            settings,
            thresholds=normalise([*settings.thresholds, *(a.threshold for a in more if not a.threshold.is_soft)]),
            alerts=settings.alerts + more,
            warnings=settings.warnings + tuple(check.warnings),
        )
    return replace(settings, warnings=settings.warnings + tuple(warnings)) if warnings else settings
