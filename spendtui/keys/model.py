"""A created key, and the operations every key writer offers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from spendtui.keys.spec import KeySpec


@dataclass(frozen=True)
class CreatedKey:
    """A new key. ``key`` is the raw secret: shown once to its creator, never stored."""

    key: str = field(repr=False)
    token: str
    key_name: str
    alias: str | None
    max_budget: Decimal | None = None
    budget_duration: str | None = None
    budget_reset_at: datetime | None = None
    soft_budget: Decimal | None = None
    models: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    team_id: str | None = None
    user_id: str | None = None
    tpm_limit: int | None = None
    rpm_limit: int | None = None
    expires: datetime | None = None
    notes: tuple[str, ...] = ()

    def as_json(self, include_key: bool) -> dict[str, Any]:
        doc: dict[str, Any] = {"key": self.key} if include_key else {}
        doc.update(
            {
                "token": self.token,
                "key_name": self.key_name,
                "key_alias": self.alias,
                "max_budget": float(self.max_budget) if self.max_budget is not None else None,
                "budget_duration": self.budget_duration,
                "budget_reset_at": self.budget_reset_at.isoformat() if self.budget_reset_at else None,
                "soft_budget": float(self.soft_budget) if self.soft_budget is not None else None,
                "models": list(self.models),
                "tags": list(self.tags),
                "team_id": self.team_id,
                "user_id": self.user_id,
                "tpm_limit": self.tpm_limit,
                "rpm_limit": self.rpm_limit,
                "expires": self.expires.isoformat() if self.expires else None,
            }
        )
        return doc


class KeyWriter(Protocol):
    """Creates and changes keys. Implemented by the proxy and (opt-in) database writers."""

    where: str

    def create(self, spec: KeySpec) -> CreatedKey: ...

    def update(self, token: str, spec: KeySpec) -> None: ...

    def block(self, token: str, blocked: bool) -> None: ...

    def delete(self, token: str) -> None: ...

    def close(self) -> None: ...


def key_name(raw: str) -> str:
    """LiteLLM's display form of a key: ``sk-...`` plus its last four characters."""
    return f"sk-...{raw[-4:]}"
