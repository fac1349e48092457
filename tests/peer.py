"""The real LiteLLM proxy peer (``shared/litellm-peer``): where it is, and a workload for it.

``.ci/run`` starts the peer (``start.sh --fresh-db``); these helpers only talk to it,
over loopback, with the standard library (independently of spendtui's HTTP layer).
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.helpers import ROOT

PEER_URL = os.environ.get("SPENDTUI_PEER_URL", "http://127.0.0.1:4000")
PEER_DB = os.environ.get("SPENDTUI_PEER_DB", "postgresql://litellm:litellm@127.0.0.1:5433/litellm")
MASTER = os.environ.get("SPENDTUI_PEER_KEY", "sk-test-master")
assert PEER_URL.startswith(("http://127.0.0.1:", "http://localhost:")), "the peer is on loopback only"


def shared_dir() -> Path | None:
    """``$SPENDTUI_SHARED``, else ``<repo>/../shared``, else ``/work/shared``."""
    candidates = [os.environ.get("SPENDTUI_SHARED"), str(ROOT.parent / "shared"), "/work/shared"]
    for candidate in candidates:
        if candidate and (Path(candidate) / "litellm-peer" / "start.sh").is_file():
            return Path(candidate)
    return None


def call(method: str, path: str, body: Any = None, key: str = MASTER, timeout: float = 60) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(PEER_URL + path, data=data, method=method)
    request.add_header("Authorization", f"Bearer {key}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        raw, status = exc.read(), exc.code
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode(errors="replace")


def peer_problem() -> str | None:
    """Why the peer cannot be used, or None when it answers and its database is reachable."""
    try:
        status, _ = call("GET", "/health/readiness", timeout=5)
    except OSError as exc:
        shared = shared_dir()
        how = f"{shared}/litellm-peer/start.sh" if shared else "bash .ci/run (set SPENDTUI_SHARED)"
        return f"the LiteLLM peer at {PEER_URL} is not reachable ({exc}); start it with {how}"
    if status != 200:
        return f"the LiteLLM peer at {PEER_URL} is not ready (HTTP {status})"
    try:
        import psycopg

        psycopg.connect(PEER_DB, connect_timeout=5).close()
    except Exception as exc:  # noqa: BLE001  (any failure means: no usable peer database)
        return f"the peer's PostgreSQL is not reachable ({type(exc).__name__})"
    return None


def must(status: int, body: Any, what: str) -> Any:
    assert status == 200, f"{what}: HTTP {status}: {str(body)[:300]}"
    return body


@dataclass
class Workload:
    """Teams, users, keys and completions with customers and tags, unique to one run."""

    run: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    keys: dict[str, str] = field(default_factory=dict)
    sent: int = 0

    def name(self, part: str) -> str:
        return f"{part}-{self.run}"

    def create(self) -> None:
        for team in ("a", "b"):
            must(
                *call(
                    "POST",
                    "/team/new",
                    {
                        "team_id": self.name(f"team-{team}"),
                        "team_alias": self.name(f"Team {team}"),
                        "max_budget": 50,
                        "budget_duration": "30d",
                    },
                ),
                "team/new",
            )
        for user in ("u1", "u2", "u3"):
            must(
                *call(
                    "POST",
                    "/user/new",
                    {"user_id": self.name(user), "user_role": "internal_user", "max_budget": 20},
                ),
                "user/new",
            )
        specs = {
            "k1": {
                "user_id": self.name("u1"),
                "team_id": self.name("team-a"),
                "max_budget": 5,
                "soft_budget": 4,
                "budget_duration": "30d",
                "metadata": {"tags": ["project:apollo"]},
            },
            "k2": {
                "user_id": self.name("u2"),
                "team_id": self.name("team-a"),
                "max_budget": 2,
                "budget_duration": "1d",
                "models": ["gpt-4o-mini", "claude-haiku-4-5"],
            },
            "k3": {"user_id": self.name("u3"), "team_id": self.name("team-b")},
            "k4": {"user_id": self.name("u1")},
        }
        customer = {
            "user_id": self.name("cust-x"),
            "max_budget": 7,
            "soft_budget": 2,
            "budget_duration": "7d",
        }
        must(*call("POST", "/customer/new", customer), "customer/new")
        for name, spec in specs.items():
            body = must(*call("POST", "/key/generate", {"key_alias": self.name(name), **spec}), "key/generate")
            self.keys[name] = body["key"]

    def send(self, rounds: int = 1) -> None:
        """Mock completions over every key, model, customer and tag combination used here."""
        models = ["gpt-4o", "gpt-4o-mini", "claude-haiku-4-5", "gemini-2.5-flash"]
        customers = [self.name("cust-x"), self.name("cust-y"), None]
        tag_sets = [["feature:chat"], ["feature:search", "env:prod"], [], ["env:dev"]]
        for r in range(rounds):
            for i, (name, key) in enumerate(sorted(self.keys.items())):
                for j in range(3):
                    n = r * 100 + i * 3 + j
                    model = models[n % len(models)]
                    if name == "k2":
                        model = ["gpt-4o-mini", "claude-haiku-4-5"][n % 2]
                    body: dict[str, Any] = {
                        "model": model,
                        "messages": [{"role": "user", "content": "spend " * (3 + n % 9)}],
                    }
                    if customers[n % 3]:
                        body["user"] = customers[n % 3]
                    if tag_sets[n % 4]:
                        body["metadata"] = {"tags": tag_sets[n % 4]}
                    if n % 7 == 3:
                        body["stream"] = True
                        body["stream_options"] = {"include_usage": True}
                    status, answer = call("POST", "/chat/completions", body, key=key)
                    assert status == 200, f"completion failed: HTTP {status}: {str(answer)[:200]}"
                    self.sent += 1
        # one failure (a model the key may not use) and one master-key request
        call(
            "POST",
            "/chat/completions",
            {"model": "gpt-4o", "messages": [{"role": "user", "content": "x"}]},
            key=self.keys["k2"],
        )
        call(
            "POST",
            "/chat/completions",
            {
                "model": "gpt-4o-mini",
                "user": self.name("cust-x"),
                "messages": [{"role": "user", "content": "hi"}],
            },
        )


def written(db_url: str) -> dict[str, tuple]:
    """Request counts and spend LiteLLM has written, per table, for comparing them."""
    import psycopg

    with psycopg.connect(db_url) as conn:
        one = lambda sql: conn.execute(sql).fetchone()  # noqa: E731
        return {
            "logs": one('SELECT count(*), coalesce(sum(spend), 0) FROM "LiteLLM_SpendLogs"'),
            "user": one('SELECT coalesce(sum(api_requests), 0), coalesce(sum(spend), 0) FROM "LiteLLM_DailyUserSpend"'),
            "logs_team": one('SELECT count(*) FROM "LiteLLM_SpendLogs" WHERE team_id IS NOT NULL'),
            "team": one('SELECT coalesce(sum(api_requests), 0) FROM "LiteLLM_DailyTeamSpend"'),
            "logs_customer": one("SELECT count(*) FROM \"LiteLLM_SpendLogs\" WHERE coalesce(end_user, '') <> ''"),
            "customer": one('SELECT coalesce(sum(api_requests), 0) FROM "LiteLLM_DailyEndUserSpend"'),
            "logs_tag": one(
                'SELECT count(*) FROM "LiteLLM_SpendLogs", '
                "LATERAL (SELECT DISTINCT jsonb_array_elements_text(coalesce(request_tags, '[]'::jsonb))) t"
            ),
            "tag": one('SELECT coalesce(sum(api_requests), 0) FROM "LiteLLM_DailyTagSpend"'),
        }


def settled(counts: dict[str, tuple]) -> bool:
    logs_n, logs_spend = counts["logs"]
    user_n, user_spend = counts["user"]
    return (
        int(user_n) == logs_n
        and abs(float(user_spend) - float(logs_spend)) < 1e-9
        and int(counts["team"][0]) == counts["logs_team"][0]
        and int(counts["customer"][0]) == counts["logs_customer"][0]
        and int(counts["tag"][0]) == counts["logs_tag"][0]
    )


def wait_until_written(db_url: str, at_least: int, timeout: float = 150) -> dict[str, tuple]:
    """Poll the peer's database until its request log holds ``at_least`` rows and every
    daily table agrees with it (LiteLLM writes in batches, tags last)."""
    deadline = time.monotonic() + timeout
    counts = written(db_url)
    while time.monotonic() < deadline:
        counts = written(db_url)
        if counts["logs"][0] >= at_least and settled(counts):
            return counts
        time.sleep(0.5)
    raise AssertionError(f"LiteLLM did not write everything within {timeout:g}s: {counts}")
