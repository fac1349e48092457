"""Writing keys through the proxy's own endpoints: ``/key/generate``, ``/key/update``,
``/key/block``, ``/key/unblock`` and ``/key/delete``.

Exactly the fields the user set are sent. LiteLLM's own error message comes back as the
error (tags on keys need an Enterprise licence; a budget above the team's; ...).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from spendtui.config import Profile
from spendtui.errors import SourceDataError, SpendtuiError
from spendtui.keys.model import CreatedKey, key_name
from spendtui.keys.spec import KeySpec
from spendtui.timeutil import parse_timestamp


class KeyRefused(SpendtuiError):
    """The proxy refused the write; the message is LiteLLM's."""

    exit_code = 3


def _money(value: Any) -> Decimal | None:
    return Decimal(str(value)) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _when(value: Any) -> datetime | None:
    return parse_timestamp(value) if value else None


class ProxyKeyWriter:
    """Key writes through one proxy (admin key from the profile)."""

    def __init__(self, profile: Profile) -> None:
        from spendtui.sources.proxy.http import HttpSettings, ProxyHttp

        if not profile.api_key:
            from spendtui.errors import ConfigError

            raise ConfigError("writing keys through the proxy needs an admin key (--key or LITELLM_MASTER_KEY)")
        self.http = ProxyHttp(
            HttpSettings(
                profile.proxy_url or "",
                profile.api_key,
                verify_tls=profile.verify_tls,
                ca_bundle=profile.ca_bundle,
                read_timeout=max(profile.timeout, 30.0),
            )
        )
        self.where = f"through the proxy ({self.http.display})"

    def close(self) -> None:
        self.http.close()

    def model_names(self) -> list[str]:
        """The proxy's model names (``/model/info``): what a key's ``models`` may list."""
        from spendtui.sources.proxy.admin import models_from

        answer = self.http.get("/model/info")
        return sorted({m.name for m in models_from(answer.body, f"{self.http.display}/model/info") if m.name})

    def _post(self, path: str, body: dict[str, Any], action: str) -> dict[str, Any]:
        try:
            answer = self.http.post(path, body)
        except SpendtuiError as exc:
            raise KeyRefused(f"could not {action}: {exc}") from None
        if not isinstance(answer.body, dict):
            raise SourceDataError(f"{self.http.display}{path}: unexpected answer ({type(answer.body).__name__})")
        return answer.body

    def create(self, spec: KeySpec) -> CreatedKey:
        body = spec.request_body()
        doc = self._post("/key/generate", body, "create the key")
        raw = doc.get("key")
        token = doc.get("token") or doc.get("token_id")
        if not isinstance(raw, str) or not raw.startswith("sk-") or not isinstance(token, str):
            raise SourceDataError(f"{self.http.display}/key/generate answered without a key")
        raw_metadata = doc.get("metadata")
        metadata: dict[str, Any] = raw_metadata if isinstance(raw_metadata, dict) else {}
        tags = doc.get("tags") or metadata.get("tags") or []
        return CreatedKey(
            key=raw,
            token=token,
            key_name=str(doc.get("key_name") or key_name(raw)),
            alias=doc.get("key_alias"),
            max_budget=_money(doc.get("max_budget")),
            budget_duration=doc.get("budget_duration"),
            budget_reset_at=_when(doc.get("budget_reset_at")),
            soft_budget=_money(doc.get("soft_budget")),
            models=tuple(doc.get("models") or ()),
            tags=tuple(str(t) for t in tags if isinstance(t, str)),
            team_id=doc.get("team_id"),
            user_id=doc.get("user_id"),
            tpm_limit=doc.get("tpm_limit"),
            rpm_limit=doc.get("rpm_limit"),
            expires=_when(doc.get("expires")),
        )

    def update(self, token: str, spec: KeySpec) -> None:
        body = {"key": token, **spec.request_body()}
        if "soft_budget" in spec.given and spec.soft_budget is None:
            body["soft_budget"] = None
        self._post("/key/update", body, "update the key")

    def block(self, token: str, blocked: bool) -> None:
        path = "/key/block" if blocked else "/key/unblock"
        self._post(path, {"key": token}, "block the key" if blocked else "unblock the key")

    def delete(self, token: str) -> None:
        self._post("/key/delete", {"keys": [token]}, "delete the key")
