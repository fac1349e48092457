"""E writes the table on screen to a new CSV file and says where (issue 24)."""

from __future__ import annotations

import csv
import sqlite3
from decimal import Decimal

from spendtui.core.query import Window
from spendtui.timeutil import day_of
from spendtui.tui.widgets.budgets import BudgetTable
from tests.helpers import FIXED_NOW
from tests.truth import Truth
from tests.tui.conftest import make_app, press, settle


def _exported(app) -> list:  # type: ignore[type-arg]
    return [n for n in app._notifications if n.title == "Exported"]


async def test_export_writes_the_rows_on_screen_exactly_and_never_overwrites(tui_db, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    window = Window(day_of(FIXED_NOW) - 29, day_of(FIXED_NOW))
    truth = Truth(f"sqlite:///{tui_db}").by("api_key", window.first, window.last)
    with sqlite3.connect(tui_db) as conn:
        aliases = dict(conn.execute('SELECT token, key_alias FROM "LiteLLM_VerificationToken"').fetchall())
    app = make_app(tui_db)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "4", "slash", *"prod", "enter")
        await press(app, pilot, "E")
        files = sorted(tmp_path.glob("spendtui-keys-*.csv"))
        assert len(files) == 1 and str(files[0]) in _exported(app)[0].message
        with files[0].open() as f:
            rows = list(csv.DictReader(f))
        shown = app.query_one("#table-keys").shown_rows()
        assert [r["name"] for r in rows] == [r.value for r in shown] and rows
        assert all("prod" in r["label"] for r in rows)
        for r in rows:
            if r["name"] in truth:  # (budgeted keys with no spend are listed too)
                spend, requests, *_ = truth[r["name"]]
                assert int(r["requests"]) == requests and abs(Decimal(r["spend"]) - Decimal(str(spend))) < Decimal(
                    "0.000001"
                )
            assert r["label"] == (aliases.get(r["name"]) or r["label"])
        files[0].write_text("mine\n")  # a file of that name (the clock is fixed): kept as it is
        await press(app, pilot, "E")
        again = sorted(tmp_path.glob("spendtui-keys-*.csv"))
        assert len(again) == 2 and files[0].read_text() == "mine\n"


async def test_export_from_tail_budgets_and_overview(tui_db, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    app = make_app(tui_db)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        for key in ("1", "9", "0", "8"):  # overview, tail, budgets, charts
            await press(app, pilot, key)
            await press(app, pilot, "E")
        assert len(list(tmp_path.glob("spendtui-daily-*.csv"))) == 2
        (tail,) = tmp_path.glob("spendtui-tail-*.csv")
        with tail.open() as f:
            rows = list(csv.DictReader(f))
        assert len(rows) == app.query_one("#tail-table").row_count and rows[0]["start_time"].startswith("2026-")
        (budgets,) = tmp_path.glob("spendtui-budgets-*.csv")
        assert budgets.read_text().startswith("state,kind,id,name,spend,limit")
        with budgets.open() as f:
            exported = list(csv.DictReader(f))
        shown = {b.state.uid: b for b in app.query_one(BudgetTable).shown_budgets()}
        assert {r["kind"] for r in exported} >= {"organization", "project", "member", "tag", "model"}
        for r in exported:  # the request logs' figure and the flag, as the pane has them
            b = shown[f"{r['kind']}:{r['id']}"]
            logs = b.state.logs_spend
            if logs is None:
                assert r["logs_spend"] == ""
            else:  # (USD with six decimals)
                assert abs(Decimal(r["logs_spend"]) - Decimal(logs) / 10**12) <= Decimal("0.0000005")
            assert r["counter_disagrees"] == str(b.state.disagrees)
        assert any(r["kind"] == "organization" and r["logs_spend"] for r in exported)
        (daily, _) = sorted(tmp_path.glob("spendtui-daily-*.csv"))
        with daily.open() as f:
            days = list(csv.DictReader(f))
        assert len(days) == 30 and sum(int(d["requests"]) for d in days) == app.applied.kpis.window.requests
