"""The Costs pane ($) as a person uses it: the audit of the window per model fills in by
itself, its figures are `spendtui audit`'s for the same days (that command is checked
against hand-worked costs in tests/test_audit.py), a filter narrows it, Enter opens a
model's example requests and Escape returns, and the Overview warns about findings."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from spendtui.cli import main
from spendtui.tui.widgets.costs import CostTable
from tests.tui.conftest import make_app, press, settle

START, END = "2026-10-29", "2026-11-27"  # the default window at FIXED_NOW


def audit(capsys: pytest.CaptureFixture[str], db: Path, *args: str) -> dict:
    main(["audit", "--db", f"sqlite:///{db}", "--start", START, "--end", END, "--format", "json", *args])
    return json.loads(capsys.readouterr().out)


def shown(app) -> dict[str, dict[str, str]]:  # noqa: ANN001
    table = app.query_one(CostTable)
    out = {}
    for row_key in table.rows:
        cells = table.get_row(row_key)
        out[str(row_key.value)] = dict(zip((str(c.value) for c in table.columns), (str(c) for c in cells), strict=True))
    return out


def count(text: str) -> int:
    return 0 if text.strip() in ("·", "") else int(text.replace(",", ""))


async def test_costs_pane_shows_the_audit_and_its_examples(capsys, tui_db: Path) -> None:
    want = audit(capsys, tui_db)
    by_team = {r["team"]: r for r in audit(capsys, tui_db, "--by", "team")["rows"]}
    app = make_app(tui_db)
    async with app.run_test(size=(200, 50)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "dollar_sign")
        assert app.state.pane == "costs"
        rows = shown(app)
        assert set(rows) == {r["model"] for r in want["rows"]}
        for r in want["rows"]:
            cells = rows[r["model"]]
            assert count(cells["requests"]) == r["requests"], r["model"]
            assert count(cells["drifted"]) == r["drifted_requests"], r["model"]
            assert count(cells["zero"]) == r["zero_cost_requests"], r["model"]
            assert count(cells["unpriced"]) == r["unpriced_requests"], r["model"]
            assert cells["logged"] == money(r["logged_spend"]), r["model"]
        head = str(app.query_one("#costs-head").render())
        total = want["total"]
        findings = total["zero_cost_requests"] + total["drifted_requests"] + total["unpriced_requests"]
        assert ("All costs check out" in head) == (findings == 0)
        # findings first: the first row has the most
        first = next(iter(rows))
        most = max(want["rows"], key=lambda r: r["zero_cost_requests"] + r["drifted_requests"] + r["unpriced_requests"])
        assert first == most["model"] or findings == 0

        # Enter: the selected model's example requests, read again; escape returns
        await press(app, pilot, "enter")
        screen = app.screen
        assert type(screen).__name__ == "CostFindings"
        title = str(screen.query_one("#findings-title").render())
        assert first in title
        examples = screen.query_one("#findings")
        if findings:
            assert examples.row_count > 0
        await press(app, pilot, "escape")
        assert app.screen.query_one(CostTable) is not None and app.state.pane == "costs"

        # a team filter narrows the audit like `spendtui audit --by team` says
        await press(app, pilot, "6")
        team = app.query_one("#table-teams").shown_rows()[0].value
        await press(app, pilot, "f", "dollar_sign")
        total_shown = sum(count(c["requests"]) for c in shown(app).values())
        assert total_shown == by_team[team]["requests"]


async def test_overview_warns_about_cost_findings(capsys, tui_db: Path) -> None:
    want = audit(capsys, tui_db)["total"]
    app = make_app(tui_db)
    async with app.run_test(size=(200, 50)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "1")
        warning = app.query_one("#cost-warning")
        flagged = want["zero_cost_requests"] + want["drifted_requests"]
        assert warning.display == bool(flagged) and flagged  # (the demo has findings on purpose)
        text = str(warning.render())
        assert f"{want['zero_cost_requests']:,} zero-cost" in text or not want["zero_cost_requests"]
        assert f"{want['drifted_requests']:,} drifted" in text or not want["drifted_requests"]
    # 80x24: the eighth tile says it instead (no row to spare above the chart)
    app = make_app(tui_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert not app.query_one("#cost-warning").display
        tile = app.query_one("#tile-costs")
        assert tile.display and "▲" in str(tile.render())


def money(value: float) -> str:
    from spendtui.money import format_usd_auto

    return format_usd_auto(int((Decimal(str(value)) * 10**12).to_integral_value()))
