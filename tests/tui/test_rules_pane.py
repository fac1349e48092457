"""Spend rules in the dashboard: the Budgets pane's rules view against SQL, and a rule
that starts firing while the dashboard runs is notified once."""

from __future__ import annotations

import shutil
import sqlite3
import uuid
from datetime import timedelta
from pathlib import Path

from spendtui.demo.rules import DEMO_RULES
from spendtui.money import format_usd_auto, usd_to_pico
from spendtui.tui.widgets.rules import RuleTable
from tests.helpers import FIXED_NOW
from tests.tui.conftest import make_app, press, settle


def month_spend_pico(db: Path) -> int:
    """November's spend up to FIXED_NOW, summed in SQL, in pico-dollars (exact per row)."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            'SELECT spend FROM "LiteLLM_SpendLogs" WHERE "startTime" >= ? AND "startTime" <= ?',
            ("2026-11-01", FIXED_NOW.strftime("%Y-%m-%d %H:%M:%S.999")),
        ).fetchall()
    return sum(usd_to_pico(repr(s)) for (s,) in rows)


def today_requests(db: Path, model: str) -> int:
    with sqlite3.connect(db) as conn:
        (n,) = conn.execute(
            'SELECT count(*) FROM "LiteLLM_SpendLogs" WHERE model_group = ? AND substr("startTime", 1, 10) = ?',
            (model, FIXED_NOW.date().isoformat()),
        ).fetchone()
    return n


def add_requests(db: Path, model: str, n: int) -> None:
    """``n`` requests of ``model`` a minute before FIXED_NOW (copies of the newest row)."""
    with sqlite3.connect(db) as conn:
        conn.execute('CREATE TEMP TABLE one AS SELECT * FROM "LiteLLM_SpendLogs" ORDER BY rowid DESC LIMIT 1')
        stamp = (FIXED_NOW - timedelta(minutes=1)).strftime("%Y-%m-%d %H:%M:%S.000")
        conn.execute(
            'UPDATE one SET model = ?, model_group = ?, "startTime" = ?, "endTime" = ?', (model, model, stamp, stamp)
        )
        for _ in range(n):
            conn.execute("UPDATE one SET request_id = ?", (f"rule-{uuid.uuid4()}",))
            conn.execute('INSERT INTO "LiteLLM_SpendLogs" SELECT * FROM one')


async def test_rules_view_against_sql_and_a_rule_firing_while_running(tui_db, tmp_path) -> None:
    db = tmp_path / "rules.db"
    shutil.copy(tui_db, db)
    month = month_spend_pico(db)
    above = round(month * 0.9 / 10**12, 2)
    with sqlite3.connect(db) as conn:
        (model,) = conn.execute('SELECT model_group FROM "LiteLLM_SpendLogs" ORDER BY rowid DESC LIMIT 1').fetchone()
    busy = today_requests(db, model)
    rules = [
        {"name": "november spend", "measure": "spend", "period": "month", "above": above},
        {"name": "busy model", "measure": "requests", "scope": {"model": model}, "period": "day", "above": busy + 2},
    ]
    app = make_app(db, rules=rules)
    app.popups.every = 0
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "0")
        while app.state.budget_kind != "rule":
            await press(app, pilot, "c")
        table = app.query_one(RuleTable)
        assert table.display and table.row_count == 2
        cells = {str(table.get_row_at(i)[1]): [str(c) for c in table.get_row_at(i)] for i in range(2)}
        assert cells["november spend"][0] == "▲ FIRING" and table.get_row_at(0)[1].plain == "november spend"
        assert cells["november spend"][3:5] == ["2026-11", format_usd_auto(month)]
        assert cells["busy model"][0] == "✓ ok" and cells["busy model"][4] == f"{busy:,}"

        def rule_popups() -> list[str]:
            return [n.message for n in app._notifications if n.title == "Spend rule"]

        assert rule_popups() == []  # firing at start: on screen, not notified
        add_requests(db, model, 3)  # busy + 3 > busy + 2
        await press(app, pilot, "r")
        popups = rule_popups()
        assert len(popups) == 1 and popups[0].startswith("▲ rule busy model firing: requests of model")
        assert f"{busy + 3:,}, above {busy + 2:,} by 1" in popups[0]
        await press(app, pilot, "r")
        assert len(rule_popups()) == 1  # once per period
        assert str(table.get_row_at(1)[0]) == "▲ FIRING"


def test_demo_rules_at_80x24(snap_compare, tui_db, monkeypatch) -> None:
    """The demo's rules in the Budgets pane at 80 columns (columns give way to the names)."""
    monkeypatch.chdir(tui_db.parent)
    app = make_app(Path(tui_db.name), rules=DEMO_RULES)

    async def before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot.app, pilot)
        await press(pilot.app, pilot, "0")
        while pilot.app.state.budget_kind != "rule":
            await press(pilot.app, pilot, "c")

    assert snap_compare(app, terminal_size=(80, 24), run_before=before)
