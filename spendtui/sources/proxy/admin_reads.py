"""The proxy's admin reads: names, budgets, key states, model prices and health.

``ProxySource`` (``source.py``) holds one ``AdminReads`` and hands these reads to it; it
uses the source's HTTP client, display name, mode and notes on missing endpoints, seen
through ``ProxyAccess``. Each read is one ``asyncio.gather`` of the endpoints it needs;
an endpoint an older LiteLLM lacks is noted once and read as empty.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any, Protocol
from urllib.parse import quote

from spendtui.core.budget_state import BudgetList, KeyStates, KindNote
from spendtui.core.names import Names
from spendtui.errors import SourceError
from spendtui.sources.proxy import admin, budget_kinds
from spendtui.sources.proxy.errors import EnterpriseOnly, FeatureMissing
from spendtui.sources.proxy.http import ProxyHttp
from spendtui.sources.proxy.reads import optional, read_paged

#: The most agents read one by one when ``/v1/agents`` leaves some out (``_unlisted_agents``).
UNLISTED_AGENTS = 50


class ProxyAccess(Protocol):
    """What the admin reads use of ``ProxySource``."""

    @property
    def http(self) -> ProxyHttp: ...

    @property
    def display(self) -> str: ...

    @property
    def mode(self) -> str:
        """Which endpoints the source reads spend from (said in ``health``)."""
        ...

    @property
    def notes(self) -> list[str]:
        """Things the proxy could not do, each said once."""
        ...

    def _note_missing(self, exc: Exception) -> None:
        """Note an endpoint this proxy lacks (once)."""
        ...


class AdminReads:
    """The admin endpoints ``ProxySource`` reads besides spend."""

    def __init__(self, proxy: ProxyAccess) -> None:
        self.proxy = proxy

    async def _keys(self) -> list[dict[str, Any]]:
        return await read_paged(self.proxy.http, "/key/list", "keys", {"return_full_object": True}, "size")

    async def _list(self, path: str) -> list[dict[str, Any]]:
        async def get() -> list[dict[str, Any]]:
            answer = await self.proxy.http.aget(path)
            return admin.list_of(answer.body, None, f"{self.proxy.display}{path}")

        found = await optional(get, self.proxy._note_missing)
        return found or []

    async def _budget_rows(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """``/budget/list``, when an item links a budget row its answer did not embed."""
        linked = any(i.get("budget_id") and not isinstance(i.get("litellm_budget_table"), dict) for i in items)
        return await self._list("/budget/list") if linked else []

    def names(self) -> Names:
        """Names and owners (``admin.names_from``). Every list is optional: one this
        proxy lacks, or keeps for Enterprise users, is noted once and read as empty
        (those ids are then shown as they are)."""

        def paged(path: str, field: str, params: dict[str, object], size: str) -> Any:
            async def read() -> list[dict[str, Any]]:
                found = await optional(
                    lambda: read_paged(self.proxy.http, path, field, params, size), self.proxy._note_missing
                )
                return found or []

            return read()

        async def work() -> Names:
            found = await asyncio.gather(
                paged("/key/list", "keys", {"return_full_object": True}, "size"),
                self._list("/team/list"),
                self._list("/customer/list"),
                paged("/key/list", "keys", {"return_full_object": True, "status": "deleted"}, "size"),
                paged("/v2/team/list", "teams", {"status": "deleted"}, "page_size"),
                self._list("/organization/list"),
                self._list("/project/list"),
                self._list("/v1/agents"),
            )
            found[7] = [*found[7], *await self._unlisted_agents(found[7], [*found[0], *found[3]])]
            return admin.names_from(admin.NameLists(*found))

        return self.proxy.http.run(work)

    async def _refusable(self, path: str, kind: str, notes: list[str]) -> list[dict[str, Any]]:
        """A list of one budget kind; a note naming the kind when the proxy refuses it
        (Enterprise only) or lacks it (older LiteLLM), so the board says why it is empty."""
        try:
            answer = await self.proxy.http.aget(path)
        except EnterpriseOnly:
            notes.append(
                KindNote(kind, f"{kind} budgets not shown: the proxy's {path} needs a LiteLLM Enterprise licence")
            )
            return []
        except FeatureMissing:
            notes.append(KindNote(kind, f"{kind} budgets not shown: this proxy has no {path} (an older LiteLLM)"))
            return []
        return admin.list_of(answer.body, None, f"{self.proxy.display}{path}")

    async def _unlisted_agents(self, listed: list[dict[str, Any]], keys: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The agents of keys that ``/v1/agents`` did not list, read one by one. (LiteLLM
        1.108 lists the agents it holds in memory: one created before the proxy's last
        restart is in its database, and ``/v1/agents/{id}`` answers, but not the list.)
        An agent that cannot be read keeps its id as its name."""
        known = {a.get("agent_id") for a in listed if isinstance(a, dict)}
        wanted = sorted({str(k["agent_id"]) for k in keys if isinstance(k, dict) and k.get("agent_id")} - known)

        async def one(agent_id: str) -> dict[str, Any] | None:
            try:
                answer = await self.proxy.http.aget(f"/v1/agents/{quote(agent_id, safe='')}")
            except SourceError:
                return None
            body = answer.body
            return body if isinstance(body, dict) and body.get("agent_id") == agent_id else None

        found = await asyncio.gather(*(one(a) for a in wanted[:UNLISTED_AGENTS]))
        return [a for a in found if a is not None]

    def budgets(self) -> BudgetList:
        """Every budget of every LiteLLM kind with its window and spend (see
        ``budget_kinds`` for organizations, projects, members, tags and models), with
        notes on the kinds the proxy refused or lacks."""

        async def users() -> list[dict[str, Any]]:
            found = await optional(
                lambda: read_paged(self.proxy.http, "/user/list", "users", {}, "page_size"), self.proxy._note_missing
            )
            return found or []

        async def work() -> BudgetList:
            notes: list[str] = []
            keys, teams, people, customers, orgs, projects, tags = await asyncio.gather(
                self._keys(),
                self._list("/team/list"),
                users(),
                self._list("/customer/list"),
                self._refusable("/organization/list", "organization", notes),
                self._refusable("/project/list", "project", notes),
                self._refusable("/tag/list", "tag", notes),
            )
            members = [m for t in teams for m in (t.get("team_memberships") or []) if isinstance(m, dict)]
            rows = await self._budget_rows([*keys, *customers, *orgs, *projects, *tags, *members])
            states = admin.budgets_from(keys, teams, people, customers, rows)
            states += budget_kinds.owner_budgets_from(orgs, projects, teams, tags, rows)
            models, model_notes = budget_kinds.model_budgets_from(keys, teams, people)
            if any(t.get("litellm_budget_table") for t in tags) and not any("spend" in t for t in tags):
                notes.append(
                    KindNote(
                        "tag", "tag budgets: the proxy's /tag/list has no spend counter; tag spend is counted from logs"
                    )
                )
            return BudgetList([*states, *models], [*sorted(notes, key=str), *model_notes])

        return self.proxy.http.run(work)

    def key_states(self) -> KeyStates:
        """Every virtual key the proxy's key may see (``/key/list``), with or without a limit."""

        async def work() -> KeyStates:
            seen = len(self.proxy.notes)
            keys, teams = await asyncio.gather(self._keys(), self._list("/team/list"))
            states = admin.key_states_from(keys, teams, await self._budget_rows(keys))
            # what this read found missing (e.g. /team/list on an older LiteLLM: team ids
            # are shown instead of names) goes to whoever lists the keys
            return replace(states, notes=(*states.notes, *self.proxy.notes[seen:]))

        return self.proxy.http.run(work)

    def models(self) -> list[admin.ModelPrice]:
        """Model names the key may use, with their per-token prices."""
        answer = self.proxy.http.get("/model/info")
        return admin.models_from(answer.body, f"{self.proxy.display}/model/info")

    def health(self) -> admin.ProxyHealth:
        """Status, database state and LiteLLM version for the status line."""

        async def work() -> admin.ProxyHealth:
            ready = await self.proxy.http.aget("/health/readiness")
            details = None
            if not isinstance(ready.body, dict) or not ready.body.get("litellm_version"):
                found = await optional(
                    lambda: self.proxy.http.aget("/health/readiness/details"), self.proxy._note_missing
                )
                details = found.body if found is not None else None
            return admin.health_from(ready.body, details, self.proxy.mode)

        return self.proxy.http.run(work)
