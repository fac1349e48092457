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
        errors[name] = f"{raw!r} is not a number of US dollars"
        return None
    if not value.is_finite():
        errors[name] = "must be a finite number"
    elif value < 0:
        errors[name] = "cannot be negative"
    elif value > MAX_USD:
        errors[name] = "is implausibly large (over $1B)"
    elif value.as_tuple().exponent < -12:  # type: ignore[operator]
        errors[name] = "has more precision than LiteLLM stores (1e-12 USD)"
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
        errors[name] = f"{raw!r} is not a whole number"
        return None
    if value < 0:
        errors[name] = "cannot be negative"
        return None
    if value > 10**12:
        errors[name] = "is implausibly large"
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
        errors[name] = str(exc)
        return None


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
        errors["alias"] = "is required"
    elif alias is not None and (len(alias) > 255 or not alias.isprintable()):
        errors["alias"] = "must be printable text of at most 255 characters"
    max_budget = _money(values.get("max_budget"), "max_budget", errors)
    soft_budget = _money(values.get("soft_budget"), "soft_budget", errors)
    if max_budget is not None and soft_budget is not None and soft_budget > max_budget:
        errors["soft_budget"] = f"${soft_budget} is above the max budget (${max_budget})"
    budget_duration = _duration(values.get("budget_duration"), "budget_duration", errors, True)
    if budget_duration is not None and max_budget is None and "max_budget" not in errors:
        errors["budget_duration"] = "needs a max budget to reset"
    duration = _duration(values.get("duration"), "duration", errors, False)
    models = tuple(dict.fromkeys(_names(values.get("models")))) or None
    tags = tuple(dict.fromkeys(_names(values.get("tags")))) or None
    for tag in tags or ():
        if not _TAG.match(tag):
            errors["tags"] = f"{tag!r} is not category:value (e.g. project:web-app)"
            break
    metadata = None
    raw_meta = values.get("metadata")
    if isinstance(raw_meta, dict):
        metadata = raw_meta
    elif raw_meta is not None and str(raw_meta).strip():
        try:
            metadata = json.loads(str(raw_meta), parse_constant=_no_constants)
        except (ValueError, RecursionError) as exc:
            errors["metadata"] = f"is not valid JSON ({exc})"
        else:
            if not isinstance(metadata, dict):
                errors["metadata"] = 'must be a JSON object, like {"owner": "ml"}'
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
