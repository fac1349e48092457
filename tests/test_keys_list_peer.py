"""``spendtui keys list`` against the real LiteLLM proxy peer: a key created with a budget
through the proxy is listed with LiteLLM's exact values by ``--proxy``, and ``--db`` on the
peer's own PostgreSQL agrees; the raw key never appears."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from spendtui.cli import main
from tests.helpers import need
from tests.peer import MASTER, PEER_DB, PEER_URL, call, must, peer_problem

pytestmark = pytest.mark.peer
PROXY = ["--proxy", PEER_URL, "--key", MASTER]
#: Fields that only LiteLLM's writes change; spend moves whenever a key is used.
STABLE = ("token", "key_alias", "key_name", "team_id", "team", "user_id", "max_budget", "soft_budget")
STABLE += ("budget_duration", "budget_reset_at", "blocked", "expires")


@pytest.fixture(autouse=True)
def _peer() -> None:
    problem = peer_problem()
    need(problem is None, problem or "")


@pytest.fixture
def budgeted_key() -> Iterator[dict]:
    """A key made through the proxy with a budget, a soft budget, a window, a team and an expiry."""
    run = uuid.uuid4().hex[:8]
    team = f"list-team-{run}"
    must(*call("POST", "/team/new", {"team_id": team, "team_alias": f"List team {run}"}), "team/new")
    body = {
        "key_alias": f"list-{run}",
        "max_budget": 3.25,
        "soft_budget": 2.5,
        "budget_duration": "30d",
        "team_id": team,
        "duration": "90d",
    }
    created = must(*call("POST", "/key/generate", body), "key/generate")
    try:
        yield {**body, "key": created["key"], "team_alias": f"List team {run}"}
    finally:
        call("POST", "/key/delete", {"keys": [created["key"]]})
        call("POST", "/team/delete", {"team_ids": [team]})


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def listing(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[dict, str]:
    code = main(["keys", "list", "--format", "json", *argv])
    out = capsys.readouterr()
    assert code == 0, out.err
    return json.loads(out.out, parse_float=Decimal), out.out + out.err


def test_proxy_lists_the_new_key_exactly_and_the_db_agrees(budgeted_key, capsys) -> None:
    import psycopg

    raw = budgeted_key["key"]
    token = hashlib.sha256(raw.encode()).hexdigest()
    doc, text = listing(capsys, *PROXY)
    assert raw not in text
    by_token = {k["token"]: k for k in doc["keys"]}
    mine = by_token[token]
    assert mine["key_alias"] == budgeted_key["key_alias"] and mine["key_name"] == f"sk-...{raw[-4:]}"
    assert mine["max_budget"] == Decimal("3.25") and mine["soft_budget"] == Decimal("2.5")
    assert mine["spend"] == 0 and mine["percent_used"] == 0 and mine["percent_of"] == "max_budget"
    assert mine["budget_duration"] == "30d" and mine["team"] == budgeted_key["team_alias"]
    assert mine["blocked"] is False and mine["expired"] is False and mine["expires"] is not None
    assert doc["unknown_fields"] == []

    # ground truth: LiteLLM's own row, read with SQL
    with psycopg.connect(PEER_DB) as conn:
        row = conn.execute(
            'SELECT max_budget, budget_duration, budget_reset_at, expires, key_name FROM "LiteLLM_VerificationToken" '
            "WHERE token = %s",
            (token,),
        ).fetchone()
        tokens = {r[0] for r in conn.execute('SELECT token FROM "LiteLLM_VerificationToken"')}
    assert row is not None and Decimal(repr(row[0])) == mine["max_budget"] and row[1] == mine["budget_duration"]
    assert utc(mine["budget_reset_at"]) == row[2].replace(tzinfo=UTC) > datetime.now(UTC)
    assert mine["next_reset"] == mine["budget_reset_at"] and mine["next_reset_assumed"] is False
    assert utc(mine["expires"]) == row[3].replace(tzinfo=UTC) and row[4] == mine["key_name"]
    assert set(by_token) <= tokens  # the proxy lists keys from this very database

    db_doc, db_text = listing(capsys, "--db", PEER_DB)
    assert raw not in db_text and db_doc["unknown_fields"] == []
    db_keys = {k["token"]: k for k in db_doc["keys"]}
    assert {f: db_keys[token][f] for f in (*STABLE, "spend")} == {f: mine[f] for f in (*STABLE, "spend")}
    for tok, key in by_token.items():  # every key both list, field by field
        if tok in db_keys:
            assert {f: db_keys[tok][f] for f in STABLE} == {f: key[f] for f in STABLE}, key["key_alias"]


def test_proxy_table_shows_budget_columns(budgeted_key, capsys) -> None:
    raw = budgeted_key["key"]
    code = main(["keys", "list", *PROXY, "--sort", "alias"])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert raw not in out.out + out.err
    line = next(x for x in out.out.splitlines() if x.startswith(budgeted_key["key_alias"] + " "))
    cells = line.split()
    assert f"sk-...{raw[-4:]}" in cells and "$3.25" in cells and "$2.50" in cells and "30d" in cells
    assert "0.0%" in cells and "never" not in cells  # it has an expiry
