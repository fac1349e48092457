"""What a new (or changed) virtual key should be, checked before anything is sent.

The same rules serve the dashboard form and ``spendtui keys``: every field is optional
except the alias, and each bad value gets a message naming the field and what is wrong.
Money is kept as ``Decimal`` so what the user typed is what is sent.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from spendtui.core.durations import DurationError, parse_duration

#: Form presets for the budget duration, as LiteLLM's own UI maps them.
PRESETS = {"daily": "24h", "weekly": "7d", "monthly": "30d"}
_TAG = re.compile(r"^[^\s:][^:]*:\S.*$")
_AMOUNT = re.compile(r"^([0-9]+)(mo|s|m|h|d|w)$")
MAX_USD = Decimal("1000000000")


class SpecError(ValueError):
    """One or more fields are invalid: ``errors`` maps field name to message."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


@dataclass(frozen=True)
class KeySpec:
    """A validated key request. ``None`` means 'not set' (nothing is sent for it)."""

    alias: str | None = None
    max_budget: Decimal | None = None
    budget_duration: str | None = None
    soft_budget: Decimal | None = None
    models: tuple[str, ...] | None = None
    tags: tuple[str, ...] | None = None
    team_id: str | None = None
    user_id: str | None = None
    tpm_limit: int | None = None
    rpm_limit: int | None = None
    duration: str | None = None
    metadata: dict[str, Any] | None = None
    #: Fields the user explicitly set (so an update sends exactly those).
    given: frozenset[str] = field(default_factory=frozenset)

    def request_body(self) -> dict[str, Any]:
        """The JSON for LiteLLM's ``/key/generate`` or ``/key/update``: only what was set."""
        body: dict[str, Any] = {}
        for name in sorted(self.given):
            value = getattr(self, name)
            if name == "alias":
                body["key_alias"] = value
            elif isinstance(value, Decimal):
                body[name] = float(value)
            elif isinstance(value, tuple):
                body[name] = list(value)
            else:
                body[name] = value
        return body


def _money(raw: object, name: str, errors: dict[str, str]) -> Decimal | None:
    text = str(raw).strip().lstrip("$").replace(",", "") if raw is not None else ""
    if text == "":
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        errors[name] = f"{raw!r} is not an amount of US dollars: expected a number such as 50 or 12.50"
        return None
    if not value.is_finite():
        errors[name] = f"{raw!r} is not a finite amount: expected a number such as 50 or 12.50"
    elif value < 0:
        errors[name] = f"{raw!r} is negative: expected 0 or more US dollars"
    elif value > MAX_USD:
        errors[name] = f"{raw!r} is over $1,000,000,000: expected a smaller amount (a typo?)"
    elif isinstance(exponent := value.as_tuple().exponent, int) and exponent < -12:  # (finite: an int)
        errors[name] = f"{raw!r} has more decimals than LiteLLM stores: at most 12 (1e-12 USD)"
    else:
        return value
    return None


def _count(raw: object, name: str, errors: dict[str, str]) -> int | None:
    text = str(raw).strip().replace(",", "").replace("_", "") if raw is not None else ""
    if text == "":
        return None
    try:
        value = int(text)
    except ValueError:
        errors[name] = f"{raw!r} is not a whole number: expected e.g. 100000 (empty: no limit)"
        return None
    if value < 0:
        errors[name] = f"{raw!r} is negative: expected 0 or more (empty: no limit)"
        return None
    if value > 10**12:
        errors[name] = f"{raw!r} is over 10^12: expected a smaller number (a typo?)"
        return None
    return value


def _duration(raw: object, name: str, errors: dict[str, str], presets: bool) -> str | None:
    text = str(raw).strip() if raw is not None else ""
    if text == "":
        return None
    if presets and text.lower() in PRESETS:
        return PRESETS[text.lower()]
    try:
        return str(parse_duration(text))
    except DurationError as exc:
        errors[name] = _duration_problem(text, str(exc), "a budget reset" if presets else "an expiry")
        return None


def _duration_problem(text: str, grammar: str, what: str) -> str:
    """The grammar's message, except where it speaks of budgets only (a key's expiry too)."""
    match = _AMOUNT.match(text)
    if match is None:
        return grammar  # not <n><unit>: the grammar's message lists the units, with examples
    value, unit = int(match.group(1)), match.group(2)
    if value <= 0:
        return f"{text!r}: the number must be at least 1 (e.g. 30d)"
    if unit == "mo":
        return f"{text!r}: months go up to 1mo for {what}: expected 1mo, or days or weeks (e.g. 90d, 12w)"
    return f"{text!r} is too long for {what}: expected at most 100000{unit}"


def _names(raw: object) -> list[str]:
    if raw is None:
        return []
    items = raw if isinstance(raw, list | tuple) else str(raw).split(",")
    return [str(i).strip() for i in items if str(i).strip()]


def parse_spec(values: dict[str, object], *, require_alias: bool = True) -> KeySpec:
    """Validate raw field values (strings from a form or the command line)."""
    errors: dict[str, str] = {}
    given = {k for k, v in values.items() if v is not None and str(v).strip() != ""}
    alias = str(values.get("alias") or "").strip() or None
    if alias is None and require_alias:
        errors["alias"] = "is required: a name to know the key by (e.g. web-app-prod)"
    elif alias is not None and len(alias) > 255:
        errors["alias"] = f"is {len(alias)} characters long: expected at most 255"
    elif alias is not None and not alias.isprintable():
        errors["alias"] = "contains a control character (a tab, a new line…): expected printable text"
    max_budget = _money(values.get("max_budget"), "max_budget", errors)
    soft_budget = _money(values.get("soft_budget"), "soft_budget", errors)
    if max_budget is not None and soft_budget is not None and soft_budget > max_budget:
        errors["soft_budget"] = (
            f"${soft_budget} is above the max budget (${max_budget}): expected at most the max budget "
            "(the soft budget alerts before the max is reached)"
        )
    budget_duration = _duration(values.get("budget_duration"), "budget_duration", errors, True)
    # a new key: the reset needs a budget to reset (an existing key may already have one)
    if require_alias and budget_duration is not None and max_budget is None and "max_budget" not in errors:
        errors["budget_duration"] = "needs a max budget to reset: set a max budget too, or leave the reset empty"
    duration = _duration(values.get("duration"), "duration", errors, False)
    models = tuple(dict.fromkeys(_names(values.get("models")))) or None
    tags = tuple(dict.fromkeys(_names(values.get("tags")))) or None
    bad_tags = [tag for tag in tags or () if not _TAG.match(tag)]
    if bad_tags:
        verb = "is" if len(bad_tags) == 1 else "are"
        errors["tags"] = (
            f"{', '.join(repr(t) for t in bad_tags)} {verb} not category:value: expected e.g. project:web-app, env:prod"
        )
    metadata = None
    raw_meta = values.get("metadata")
    if isinstance(raw_meta, dict):
        metadata = raw_meta
    elif raw_meta is not None and str(raw_meta).strip():
        try:
            metadata = json.loads(str(raw_meta), parse_constant=_no_constants)
        except (ValueError, RecursionError) as exc:
            errors["metadata"] = f'is not valid JSON ({exc}): expected a JSON object like {{"owner": "ml"}}'
        else:
            if not isinstance(metadata, dict):
                kind = {list: "a list", str: "a string", bool: "true/false", type(None): "null"}.get(
                    type(metadata), "a number"
                )
                errors["metadata"] = f'is {kind}, not a JSON object: expected e.g. {{"owner": "ml"}}'
                metadata = None
    team_id = str(values.get("team_id") or "").strip() or None
    user_id = str(values.get("user_id") or "").strip() or None
    tpm = _count(values.get("tpm_limit"), "tpm_limit", errors)
    rpm = _count(values.get("rpm_limit"), "rpm_limit", errors)
    if errors:
        raise SpecError(errors)
    return KeySpec(
        alias=alias,
        max_budget=max_budget,
        budget_duration=budget_duration,
        soft_budget=soft_budget,
        models=models,
        tags=tags,
        team_id=team_id,
        user_id=user_id,
        tpm_limit=tpm,
        rpm_limit=rpm,
        duration=duration,
        metadata=metadata,
        given=frozenset(given),
    )


def _no_constants(name: str) -> float:
    raise ValueError(f"{name} is not allowed")
