"""The Entities pane (key 7): customers by default; `c` cycles organizations, projects and
agents, `C` picks one; each entity's rows and the filters it sets equal plain SQL on a
hand-written LiteLLM database (tests/tui/entities_db.py)."""

from __future__ import annotations

import html
from datetime import date
from pathlib import Path

import pytest
from textual.widgets import OptionList, Static, Tabs

from spendtui.dashboard.state import ENTITIES
from spendtui.tui.app import SpendApp
from spendtui.tui.screens.dialogs import ChoiceDialog
from spendtui.tui.screens.help import KEYS
from spendtui.tui.widgets.breakdown import BreakdownTable
from spendtui.tui.widgets.tail import TailTable
from tests.tui.conftest import make_app, press, settle
from tests.tui.entities_db import create_entities_db, model_truth, names, truth

#: The dashboard's default window at FIXED_NOW (last 30 days).
START, END = date(2026, 10, 29), date(2026, 11, 27)


@pytest.fixture(scope="module")
def entities_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return create_entities_db(tmp_path_factory.mktemp("entities") / "litellm.db")


def screen_text(app: SpendApp) -> str:
    return html.unescape(app.export_screenshot()).replace("\xa0", " ")


def table_rows(app: SpendApp) -> dict[str, tuple[str, int, int]]:
    table = app.query_one("#table-customers", BreakdownTable)
    return {r.value: (r.label, r.totals.spend, r.totals.requests) for r in table.shown_rows()}


def assert_matches_sql(app: SpendApp, db: Path, entity: str) -> None:
    named = names(db, entity)
    want = truth(db, entity, START, END)
    got = table_rows(app)
    assert set(got) == {i or "" for i in want}, (entity, got)
    for ident, (spend, requests, *_) in want.items():
        label, pico, count = got[ident or ""]
        assert label == ((named.get(ident) or ident) if ident else "(none)")
        assert abs(pico / 1e12 - spend) <= 1e-6 and count == requests, (entity, ident, pico, spend)


def tab_label(app: SpendApp) -> str:
    return str(app.query_one(Tabs).active_tab.label)  # type: ignore[union-attr]


async def test_cycle_entities_and_filter_by_an_organization(entities_db: Path) -> None:
    app = make_app(entities_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "7")
        table = app.query_one("#table-customers", BreakdownTable)
        assert table.dimension == "customer" and tab_label(app) == "7 Customers"
        assert "budget" in dict(table.columns_shown)  # customers have LiteLLM budgets
        await press(app, pilot, "c")
        assert app.state.entity == "organization" and table.dimension == "organization"
        assert tab_label(app) == "7 Orgs"
        assert "budget" not in dict(table.columns_shown)  # organizations: none read here
        head = str(app.query_one("#entity-head", Static).render())
        assert "c Entity" in head and "Orgs" in head
        assert_matches_sql(app, entities_db, "organization")

        # f on Acme: every pane is Acme's (Models equals SQL; the tail holds its requests only)
        table.move_cursor(row=table.get_row_index("org-acme"))
        await press(app, pilot, "f")
        assert app.state.filters.organization == frozenset({"org-acme"})
        assert "Acme" in screen_text(app)  # the filter bar names it
        await press(app, pilot, "2")
        models = app.query_one("#table-models", BreakdownTable)
        got = {r.value: (r.totals.spend, r.totals.requests) for r in models.shown_rows()}
        want = model_truth(entities_db, "org-acme", START, END)
        assert set(got) == set(want)
        for model, (spend, requests) in want.items():
            assert abs(got[model][0] / 1e12 - spend) <= 1e-6 and got[model][1] == requests, model
        await press(app, pilot, "9")
        tail = app.query_one(TailTable).shown_rows()
        assert len(tail) == sum(r for _, r in want.values()) and {r.key for r in tail} == {"key-a"}
        await press(app, pilot, "x", "7")

        cycle = (
            ("project", "7 Projects"),
            ("agent", "7 Agents"),
            ("session", "7 Sessions"),
            ("tool", "7 Tools"),
            ("customer", "7 Customers"),
        )
        for entity, title in cycle:
            await press(app, pilot, "c")
            assert app.state.entity == entity and tab_label(app) == title
            if entity in ("project", "agent"):
                assert_matches_sql(app, entities_db, entity)
        assert "budget" in dict(table.columns_shown)


async def test_picker_and_drill(entities_db: Path) -> None:
    app = make_app(entities_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "7", "C")
        assert isinstance(app.screen, ChoiceDialog)
        options = app.screen.query_one(OptionList)
        assert [options.get_option_at_index(i).id for i in range(options.option_count)] == list(ENTITIES)
        options.highlighted = ENTITIES.index("agent")
        await press(app, pilot, "enter")
        assert app.state.entity == "agent" and tab_label(app) == "7 Agents"
        assert_matches_sql(app, entities_db, "agent")
        # drill into Scout: its organizations and projects are among the tables
        table = app.query_one("#table-customers", BreakdownTable)
        table.move_cursor(row=table.get_row_index("agent-scout"))
        await press(app, pilot, "enter")
        text = screen_text(app)
        assert "agent: Scout" in text and "Organizations" in text and "Projects" in text, text
        await press(app, pilot, "escape")
        # the entity survives a refresh
        await press(app, pilot, "r")
        assert app.state.entity == "agent" and table.dimension == "agent"


async def test_orgs_at_80x24(entities_db: Path) -> None:
    app = make_app(entities_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "7", "c")
        assert tab_label(app) == "Orgs"
        text = screen_text(app)
        for label in ("Acme", "Beta Org", "Gamma", "(none)", "c/C"):
            assert label in text, (label, text)
        table = app.query_one("#table-customers", BreakdownTable)
        assert table.virtual_size.width <= table.size.width


def test_help_lists_the_entity_keys() -> None:
    lines = [f"{key} {action}" for _, rows in KEYS for key, action in rows]
    assert any(line.startswith("7 Entities") for line in lines)
    assert any(line.startswith("c / C Entities") for line in lines)
    assert any("organization, project, agent" in line for line in lines if line.startswith("F "))


def test_snapshot_orgs_80x24(snap_compare, entities_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(entities_db.parent)  # (a relative path: the same text on every machine)

    async def before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot.app, pilot)
        await press(pilot.app, pilot, "7", "c")

    assert snap_compare(make_app(Path(entities_db.name)), terminal_size=(80, 24), run_before=before)
