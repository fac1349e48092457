"""The Budgets pane and budget notifications, against a real demo database: figures are
checked against LiteLLM's own columns read here with SQL."""

from __future__ import annotations

import shutil
import sqlite3
from decimal import Decimal

from spendtui.config import Profile
from spendtui.dashboard.budgets import KIND_ORDER
from spendtui.tui.screens.keys import BudgetEditScreen
from spendtui.tui.widgets.breakdown import BreakdownTable
from spendtui.tui.widgets.budgets import BudgetTable
from tests.tui.conftest import make_app, press, settle

LEVEL_ORDER = {"exceeded": 0, "warning": 1, "ok": 2}
SLACK = 10**6  # 1e-6 USD: LiteLLM stores these as doubles


def pico(value: float) -> int:
    return int(Decimal(str(value)) * 10**12)


def keys_with_max_budget(db) -> dict[str, tuple[str, int, int]]:  # type: ignore[no-untyped-def]
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            'SELECT token, key_alias, spend, max_budget FROM "LiteLLM_VerificationToken" WHERE max_budget IS NOT NULL'
        ).fetchall()
    return {t: (alias, pico(spend or 0), pico(limit)) for t, alias, spend, limit in rows}


async def test_gauges_show_litellm_figures_most_urgent_first(tui_db) -> None:
    truth = keys_with_max_budget(tui_db)
    app = make_app(tui_db)
    # `e` below opens the budget editor only where keys may be written (nothing is submitted)
    app.profile = Profile(name="test", database_url=f"sqlite:///{tui_db}", allow_db_writes=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "0")
        table = app.query_one(BudgetTable)
        shown = [table._budgets[uid] for uid in table._order]
        keys = {b.state.id: b for b in shown if b.state.kind == "key"}
        assert set(truth) <= set(keys)
        for token, (alias, spend, limit) in truth.items():
            b = keys[token]
            assert b.state.name == alias and abs(b.spend - spend) <= SLACK and abs(b.limit - limit) <= SLACK
            assert b.level == ("exceeded" if spend >= limit else b.level)
        assert [LEVEL_ORDER[b.level] for b in shown] == sorted(LEVEL_ORDER[b.level] for b in shown)
        over = [t for t, (_, spend, limit) in truth.items() if spend >= limit]
        assert over and all(keys[t].level == "exceeded" for t in over)
        # the state is written out, not only coloured (NO_COLOR terminals)
        first = table.get_row_at(0)
        assert str(first[0]) == "✗ OVER"
        assert "%" in str(first[2]) or "$0" in str(first[2])
        # c: one kind at a time
        await press(app, pilot, "c")
        assert app.state.budget_kind == "key"
        assert {table._budgets[uid].state.kind for uid in table._order} == {"key"}
        await press(app, pilot, "c")
        assert {table._budgets[uid].state.kind for uid in table._order} <= {"team"}
        # e edits the selected key's budget from here too (c cycles through every kind)
        for _ in range(len(KIND_ORDER) - 1):
            await pilot.press("c")
        await settle(app, pilot)
        assert app.state.budget_kind == "key"
        table.move_cursor(row=0)
        await press(app, pilot, "e")
        assert isinstance(app.screen, BudgetEditScreen)


async def test_keys_pane_budget_column_and_idle_keys(tui_db) -> None:
    truth = keys_with_max_budget(tui_db)
    app = make_app(tui_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "4")
        rows = app.query_one("#table-keys", BreakdownTable)._spend_rows
        by_token = {r.value: r for r in rows.values()}
        for token, (_, spend, limit) in truth.items():
            row = by_token[token]  # listed even when the key spent nothing in the window
            assert row.budget is not None
            assert abs(row.budget.spend - spend) <= SLACK and abs(row.budget.limit - limit) <= SLACK
        cell = app.query_one("#table-keys", BreakdownTable).get_cell(next(iter(truth)), "budget")
        assert " of $" in str(cell) or "$0 limit" in str(cell)


async def test_a_threshold_crossed_while_running_is_notified_once(tui_db, tmp_path) -> None:
    db = tmp_path / "alerts.db"
    shutil.copy(tui_db, db)
    truth = keys_with_max_budget(db)
    token, (alias, spend, limit) = next(
        (t, v) for t, v in sorted(truth.items()) if v[2] >= 10**12 and v[1] < v[2] * 0.5
    )
    app = make_app(db)
    app.popups.every = 0  # (pacing: test_many_crossings_make_one_popup)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("2")  # a pane without budgets: the watch runs anyway
        await settle(app, pilot)

        def budget_alerts() -> list[str]:
            return [n.message for n in app._notifications if n.title == "Budget"]

        assert budget_alerts() == []  # what is already crossed at start is on screen, not notified
        with sqlite3.connect(db) as conn:  # LiteLLM counts the key's spend up to 85%
            conn.execute(
                'UPDATE "LiteLLM_VerificationToken" SET spend = ? WHERE token = ?',
                (float(Decimal(limit) * Decimal("0.85") / 10**12), token),
            )
        await press(app, pilot, "r")
        alerts = budget_alerts()
        assert len(alerts) == 1 and alias in alerts[0] and "crossed 80%" in alerts[0] and "WARN" in alerts[0]
        await press(app, pilot, "r")
        assert len(budget_alerts()) == 1  # once per threshold per window
        with sqlite3.connect(db) as conn:
            conn.execute(
                'UPDATE "LiteLLM_VerificationToken" SET spend = ? WHERE token = ?',
                (float(Decimal(limit) * Decimal("1.01") / 10**12), token),
            )
        await press(app, pilot, "r")
        alerts = budget_alerts()
        assert len(alerts) == 2 and "crossed 100%" in alerts[1] and "OVER" in alerts[1]
        severities = [n.severity for n in app._notifications if n.title == "Budget"]
        assert severities == ["warning", "error"]


def _name_cells(table: BudgetTable) -> list[str]:
    column = table.get_column_index("name")
    return [str(table.get_row_at(row)[column]) for row in range(table.row_count)]


async def test_budget_names_get_the_room_there_is_and_never_read_the_same(tmp_path) -> None:
    """Issue 24: "code-review-prod-…" for both prod-20 and prod-16 while 80 columns stayed
    empty; at 80-100 columns Spent and Limit disappeared. Two keys here share an alias."""
    from spendtui.demo.generator import create_demo_db
    from tests.helpers import FIXED_NOW

    db = tmp_path / "names.db"
    create_demo_db(db, rows=3_000, days=10, seed=5, now=FIXED_NOW)
    with sqlite3.connect(db) as conn:
        tokens = [t for (t,) in conn.execute('SELECT token FROM "LiteLLM_VerificationToken" ORDER BY token LIMIT 3')]
        conn.execute(
            'UPDATE "LiteLLM_VerificationToken" SET key_alias = ?, max_budget = 5 WHERE token IN (?, ?)',
            ("research-agent-production-eu-west-1", *tokens[:2]),
        )
        conn.execute(
            'UPDATE "LiteLLM_VerificationToken" SET key_alias = ?, max_budget = 5 WHERE token = ?',
            ("research-agent-production-us-east-1", tokens[2]),
        )
        aliases = {a for (a,) in conn.execute('SELECT key_alias FROM "LiteLLM_VerificationToken" WHERE max_budget > 0')}
    app = make_app(db)
    async with app.run_test(size=(200, 50)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "0")
        table = app.query_one(BudgetTable)
        wide = _name_cells(table)
        assert len(set(wide)) == len(wide) == table.row_count > 10
        # at 200 columns every alias is whole (the two that share one get the key's end)
        assert {n.removeprefix("key  ") for n in wide if n.startswith("key ")} >= aliases - {
            "research-agent-production-eu-west-1"
        }
        for size in ((80, 24), (100, 30)):
            await pilot.resize_terminal(*size)
            await settle(app, pilot)
            narrow = _name_cells(table)
            assert len(set(narrow)) == len(narrow), size
            shown = {str(key.value) for key in table.columns}
            assert {"state", "name", "gauge", "spent", "limit"} <= shown, size
            assert table.virtual_size.width <= table.size.width, size  # no sideways scrolling


async def test_many_crossings_make_one_popup_and_popups_are_spaced(tui_db, tmp_path) -> None:
    """Issue 24: in the demo, budget popups ran almost nonstop over the Overview."""
    db = tmp_path / "many.db"
    shutil.copy(tui_db, db)
    truth = keys_with_max_budget(db)
    calm = [(t, v) for t, v in sorted(truth.items()) if v[2] >= 10**12 and v[1] < v[2] * 0.5][:4]
    assert len(calm) == 4
    app = make_app(db)
    app.popups.every = 3600  # a second popup only once this has passed
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)

        def popups() -> list:  # type: ignore[type-arg]
            return [n for n in app._notifications if "budget" in (n.title or "").lower()]

        def raise_spend(pairs, share: str) -> None:  # type: ignore[no-untyped-def]
            with sqlite3.connect(db) as conn:
                for token, (_, _, limit) in pairs:
                    conn.execute(
                        'UPDATE "LiteLLM_VerificationToken" SET spend = ? WHERE token = ?',
                        (float(Decimal(limit) * Decimal(share) / 10**12), token),
                    )

        raise_spend(calm[:3], "0.85")
        await press(app, pilot, "r")
        shown = popups()
        assert len(shown) == 1 and shown[0].title.endswith(" budget alerts")  # (a soft budget adds one)
        assert int(shown[0].title.split()[0]) >= 3
        assert all(alias in shown[0].message for _, (alias, _, _) in calm[:3])
        raise_spend(calm[3:], "1.5")
        await press(app, pilot, "r")
        assert len(popups()) == 1  # held: the last popup is too recent
        app.popups.every = 0
        app.painter.show_popup()
        await pilot.pause()
        later = popups()
        assert len(later) == 2 and calm[3][1][0] in later[1].message and later[1].severity == "error"


async def test_budget_popups_wait_until_a_dialog_closes(tui_db, tmp_path) -> None:
    db = tmp_path / "dialog.db"
    shutil.copy(tui_db, db)
    truth = keys_with_max_budget(db)
    token, (alias, _, limit) = next((t, v) for t, v in sorted(truth.items()) if v[2] >= 10**12 and v[1] < v[2] * 0.5)
    app = make_app(db)
    app.popups.every = 0
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("question_mark")  # the help dialog is open
        await settle(app, pilot)
        with sqlite3.connect(db) as conn:
            conn.execute(
                'UPDATE "LiteLLM_VerificationToken" SET spend = ? WHERE token = ?',
                (float(Decimal(limit) * Decimal("0.85") / 10**12), token),
            )
        app.action_refresh_now()
        await settle(app, pilot)
        assert not [n for n in app._notifications if n.title == "Budget"]  # not over the dialog
        await pilot.press("escape")
        await pilot.pause(1.3)
        shown = [n for n in app._notifications if n.title == "Budget"]
        assert len(shown) == 1 and alias in shown[0].message


async def test_opening_a_dialog_clears_popups_that_would_cover_it(tui_db) -> None:
    app = make_app(tui_db, writable=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.popups.add((("warning", "▲ WARN key alpha crossed 80%"),))
        app.painter.show_popup()
        await pilot.pause()
        assert [n.title for n in app._notifications] == ["Budget"]
        await press(app, pilot, "n")
        assert type(app.screen).__name__ == "NewKeyScreen" and not list(app._notifications)


async def test_c_narrows_to_each_new_kind_and_shows_the_logs_flag(tui_db) -> None:
    """c steps through LiteLLM's organization, project, member, tag and model budgets;
    each shows only its kind, and the organization whose counter missed spend is marked."""
    with sqlite3.connect(tui_db) as conn:
        expected = {
            "organization": conn.execute(
                'SELECT count(*) FROM "LiteLLM_OrganizationTable" o JOIN "LiteLLM_BudgetTable" b '
                "ON b.budget_id = o.budget_id WHERE b.max_budget IS NOT NULL"
            ).fetchone()[0],
            "tag": conn.execute(
                'SELECT count(*) FROM "LiteLLM_TagTable" g JOIN "LiteLLM_BudgetTable" b '
                "ON b.budget_id = g.budget_id WHERE b.max_budget IS NOT NULL"
            ).fetchone()[0],
        }
    app = make_app(tui_db)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "0")
        table = app.query_one(BudgetTable)
        seen = {}
        for _ in range(len(KIND_ORDER) - 1):
            await press(app, pilot, "c")
            kind = app.state.budget_kind
            shown = [table._budgets[uid] for uid in table._order]
            assert {b.state.kind for b in shown} <= {kind}
            if kind == "organization":
                # a difference is flagged once it held across two reads of the counters
                pending = [b for b in shown if b.state.differs]
                assert len(pending) == 1 and not pending[0].state.disagrees
                assert str(table.get_row(pending[0].state.uid)[-1]) == "≈"
                await press(app, pilot, "r")  # re-read the counters: the difference held
                shown = [table._budgets[uid] for uid in table._order]
                marked = [b for b in shown if any(str(c).startswith("≠") for c in table.get_row(b.state.uid))]
                assert [b.state.uid for b in marked] == [b.state.uid for b in shown if b.state.disagrees]
            seen[kind] = shown
        assert all(seen[k] for k in ("organization", "project", "member", "tag", "model"))
        for kind, n in expected.items():
            assert len(seen[kind]) == n
        flagged = [b for b in seen["organization"] if b.state.disagrees]
        assert len(flagged) == 1
        await press(app, pilot, "c")  # back to every kind
        assert app.state.budget_kind is None


async def test_enter_on_a_member_or_model_budget_drills_into_all_its_dimensions(tui_db) -> None:
    """A team member's budget drills into their requests in that team (not all of theirs),
    a per-model budget into its owner's requests of that model: SQL over the window."""
    from datetime import timedelta

    from tests.tui.test_latency_pane import END, START

    def sql_spend(where: str, args: tuple[str, ...]) -> tuple[int, int]:
        with sqlite3.connect(tui_db) as conn:
            rows = conn.execute(
                f'SELECT spend FROM "LiteLLM_SpendLogs" WHERE "startTime" >= ? AND "startTime" < ? AND {where}',  # noqa: S608
                (START.isoformat(), (END + timedelta(days=1)).isoformat(), *args),
            ).fetchall()
        usable = [round(s * 1e12) for (s,) in rows if s is not None and 0 <= s <= 1_000_000]
        return sum(usable), len(usable)

    app = make_app(tui_db)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "0")
        table = app.query_one(BudgetTable)
        checked = set()
        for _ in range(len(KIND_ORDER) - 1):
            await press(app, pilot, "c")
            kind = app.state.budget_kind
            if kind not in ("member", "model"):
                continue
            shown = [table._budgets[uid] for uid in table._order]
            budget = next(b for b in shown if len(b.state.log_scope) == 2)
            table.move_cursor(row=table._order.index(budget.state.uid))
            await press(app, pilot, "enter")
            drill = app.applied.drill if app.applied is not None else None
            assert drill is not None and drill.dimension == "budget"
            scope = dict(budget.state.log_scope)
            column = {"team": "team_id", "user": '"user"', "key": "api_key", "model": "model_group"}
            where = " AND ".join(f"{column[d]} = ?" for d in scope)
            assert (drill.totals.spend, drill.totals.requests) == sql_spend(where, tuple(scope.values()))
            assert " @ " in drill.label
            await press(app, pilot, "escape")
            checked.add(kind)
        assert checked == {"member", "model"}
