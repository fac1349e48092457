"""Display names: key aliases, team aliases, user and customer names.

Plain data and the fallbacks for what has no name; the sources fill it (the database
source in ``sources/db/names.py``, the proxy source from its admin endpoints).
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: What LiteLLM (1.110.2) logs as ``api_key`` for a request made with the master key.
MASTER_KEY_ALIAS = "litellm_proxy_master_key"


@dataclass
class Names:
    """What to call things. Every lookup falls back to something readable."""

    key_alias: dict[str, str] = field(default_factory=dict)
    key_name: dict[str, str] = field(default_factory=dict)
    team_alias: dict[str, str] = field(default_factory=dict)
    user_alias: dict[str, str] = field(default_factory=dict)
    customer_alias: dict[str, str] = field(default_factory=dict)

    def key(self, token: str) -> str:
        """Alias, else LiteLLM's ``sk-...abcd`` form, else an abbreviated hash."""
        if not token:
            return ""
        if token == MASTER_KEY_ALIAS:
            return "master key"
        alias = self.key_alias.get(token)
        if alias:
            return alias
        name = self.key_name.get(token)
        if name:
            return name
        return abbreviate_hash(token)

    def team(self, team_id: str) -> str:
        return self.team_alias.get(team_id) or team_id

    def user(self, user_id: str) -> str:
        return user_id

    def customer(self, customer_id: str) -> str:
        return self.customer_alias.get(customer_id) or customer_id

    def label(self, dimension: str, value: str) -> str:
        """Human label for a breakdown row value."""
        if dimension == "key":
            return self.key(value)
        if dimension == "team":
            return self.team(value)
        if dimension == "customer":
            return self.customer(value)
        return value

    def merge(self, other: Names) -> None:
        for name in ("key_alias", "key_name", "team_alias", "user_alias", "customer_alias"):
            getattr(self, name).update(getattr(other, name))


def abbreviate_hash(token: str) -> str:
    """``#1a2b3c4d`` for a key known only by its sha256."""
    return f"#{token[:8]}" if len(token) > 12 else token
