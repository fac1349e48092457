"""Keys through the real LiteLLM proxy: create (CLI and form), read back, use, update, block,
unblock, delete; LiteLLM's refusals come back as clean messages."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from textual.widgets import SelectionList

from spendtui.cli import main
from spendtui.config import Config, Profile
from spendtui.tui.app import SpendApp
from spendtui.tui.launch import Launch
from spendtui.tui.screens.keys import NewKeyScreen, RevealKeyScreen
from spendtui.tui.widgets.breakdown import BreakdownTable
from spendtui.tui.widgets.budgets import BudgetTable
from tests.helpers import need
from tests.peer import MASTER, PEER_DB, PEER_URL, call, peer_problem

pytestmark = pytest.mark.peer
ARGS = ["--proxy", PEER_URL, "--key", MASTER]


@pytest.fixture(autouse=True)
def _peer() -> None:
    problem = peer_problem()
    need(problem is None, problem or "")


def key_info(key: str) -> dict:
    status, body = call("GET", f"/key/info?key={key}")
    assert status == 200, body
    return body["info"]


def complete(key: str, model: str = "gpt-4o-mini") -> int:
    status, _ = call(
        "POST", "/chat/completions", {"model": model, "messages": [{"role": "user", "content": "hi"}]}, key=key
    )
    return status


def spend_written(token: str, timeout: float = 60) -> float:
    import psycopg

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with psycopg.connect(PEER_DB) as conn:
            row = conn.execute(
                'SELECT count(*), coalesce(sum(spend), 0) FROM "LiteLLM_SpendLogs" WHERE api_key = %s', (token,)
            ).fetchone()
        if row[0]:
            return float(row[1])
        time.sleep(1)
    raise AssertionError("LiteLLM did not write the request within a minute")


def test_cli_create_read_back_use_update_block_delete(capsys) -> None:
    alias = f"cli-{uuid.uuid4().hex[:8]}"
    flags = "--max-budget 7.5 --budget-duration monthly --soft-budget 5 --models gpt-4o-mini,claude-haiku-4-5"
    flags += " --tpm 10000 --rpm 60 --duration 30d --format json"
    code = main(["keys", "create", "--alias", alias, *flags.split(), "--metadata", '{"owner": "tests"}', *ARGS])
    out = capsys.readouterr()
    assert code == 0, out.err
    created = json.loads(out.out)
    assert created["key"].startswith("sk-") and created["key"] not in out.err
    info = key_info(created["key"])
    assert info["key_alias"] == alias and info["max_budget"] == 7.5 and info["budget_duration"] == "30d"
    assert sorted(info["models"]) == ["claude-haiku-4-5", "gpt-4o-mini"]
    assert info["tpm_limit"] == 10000 and info["rpm_limit"] == 60 and info["metadata"]["owner"] == "tests"
    assert info["expires"] is not None
    assert info.get("soft_budget") == 5 or (info.get("litellm_budget_table") or {}).get("soft_budget") == 5
    assert complete(created["key"]) == 200  # the new key works
    assert spend_written(created["token"]) > 0
    assert main(["keys", "update", alias, "--max-budget", "12", *ARGS]) == 0
    info = key_info(created["key"])
    assert info["max_budget"] == 12
    # spendtui check reads the budget back through the proxy with LiteLLM's spend counter
    capsys.readouterr()
    code = main(["check", "--all", "--kind", "key", "--format", "json", *ARGS])
    doc = json.loads(capsys.readouterr().out)
    mine = [b for b in doc["budgets"] if b["name"] == alias]
    assert code in (0, 1, 2) and len(mine) == 1
    assert mine[0]["max_budget"] == 12 and abs(mine[0]["spend"] - info["spend"]) < 1e-6
    assert main(["keys", "block", alias, *ARGS]) == 0
    assert complete(created["key"]) in (401, 403)  # the proxy refuses a blocked key
    assert main(["keys", "unblock", alias, *ARGS]) == 0
    assert complete(created["key"]) == 200
    assert main(["keys", "delete", alias, "--yes", *ARGS]) == 0
    assert complete(created["key"]) in (401, 403, 404)


def test_litellm_refusals_come_back_cleanly(capsys) -> None:
    alias = f"tags-{uuid.uuid4().hex[:8]}"
    code = main(["keys", "create", "--alias", alias, "--tags", "project:web-app", *ARGS])
    err = capsys.readouterr().err
    assert code == 3 and err.count("\n") == 1
    assert "premium" in err.lower() or "enterprise" in err.lower()
    assert MASTER not in err


async def test_form_creates_through_the_proxy_and_the_keys_pane_shows_its_spend() -> None:
    alias = f"form-{uuid.uuid4().hex[:8]}"
    profile = Profile(name="peer", proxy_url=PEER_URL, api_key=MASTER)
    app = SpendApp(Launch(config=Config(path=None, profiles={}, active=profile), autopoll=False))
    async with app.run_test(size=(120, 45)) as pilot:
        for _ in range(200):
            await pilot.pause(0.1)
            if app.applied is not None:
                break
        await pilot.press("n")
        for _ in range(50):
            await pilot.pause(0.1)
            # the screen is current as soon as it is pushed; its fields exist once it has composed
            if isinstance(app.screen, NewKeyScreen) and app.screen.query("#field-models"):
                break
        status, info = call("GET", "/model/info")  # the models offered are the proxy's
        assert status == 200
        offered = app.screen.query_one("#field-models", SelectionList)
        assert [offered.get_option_at_index(i).value for i in range(offered.option_count)] == sorted(
            {m["model_name"] for m in info["data"]}
        )
        app.screen.query_one("#field-alias").value = alias
        app.screen.query_one("#field-max_budget").value = "3"
        app.screen.action_submit()
        for _ in range(100):
            await pilot.pause(0.1)
            if isinstance(app.screen, RevealKeyScreen) and app.screen.query("#key"):
                break
        errors = [str(lbl.render()) for lbl in app.screen.query(".error")]
        assert isinstance(app.screen, RevealKeyScreen), [e for e in errors if e]
        raw = app.screen._raw
        assert raw and key_info(raw)["max_budget"] == 3 and key_info(raw)["key_alias"] == alias
        await pilot.press("escape")
        assert complete(raw) == 200
        token = key_info(raw)["token"] if "token" in key_info(raw) else None
        from spendtui.keys.db_writer import hash_key

        spend_written(hash_key(raw))
        await pilot.press("4")
        seen = False
        for _ in range(60):  # LiteLLM writes the request log a few seconds late
            app.action_refresh_now()
            for _ in range(20):
                await pilot.pause(0.1)
            rows = app.query_one("#table-keys", BreakdownTable)._spend_rows.values()
            if any(r.label == alias and r.totals.spend > 0 for r in rows):
                seen = True
                break
        assert seen, "the new key's spend did not appear in the Keys pane"
        await pilot.press("0")  # and its budget in the Budgets pane
        for _ in range(30):
            app.action_refresh_now()
            for _ in range(10):
                await pilot.pause(0.1)
            table = app.query_one(BudgetTable)
            mine = [b for b in table._budgets.values() if b.state.name == alias]
            if mine:
                break
        assert mine and mine[0].limit == 3 * 10**12 and mine[0].state.kind == "key"
        assert token is None or token == hash_key(raw)
