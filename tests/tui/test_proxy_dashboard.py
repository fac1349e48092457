"""The dashboard over a LiteLLM proxy's REST API (a real HTTP server on 127.0.0.1 serving
demo requests the way LiteLLM does): the panes say what the proxy's data cannot answer
exactly instead of estimating it or leaving older figures on screen."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pytest

from spendtui.config import Config, Profile
from spendtui.core.selection import Filters
from spendtui.dashboard.state import ViewState
from spendtui.engine import SpendEngine
from spendtui.sources.proxy import HttpSettings, ProxySource
from spendtui.timeutil import fixed_clock
from spendtui.tui.app import SpendApp
from spendtui.tui.launch import Launch
from spendtui.tui.widgets.breakdown import BreakdownTable
from spendtui.tui.widgets.status import NoticeBar, StatusBar
from tests.helpers import FIXED_NOW
from tests.proxy_server import FixtureServer
from tests.test_facts import SLACK, requests, serve
from tests.tui.conftest import press, settle


@pytest.fixture(scope="module")
def proxy():
    rows = requests(seed=11, n=3000)
    with FixtureServer() as server:
        serve(server, rows)
        yield server, rows


def make_app(url: str, state: ViewState) -> SpendApp:
    profile = Profile(name="proxy", proxy_url=url, api_key="sk-test-master")

    def engine(profile: Profile, clock) -> SpendEngine:  # type: ignore[no-untyped-def]
        return SpendEngine(ProxySource(HttpSettings(url, "sk-test-master"), clock=clock), clock=clock)

    launch = Launch(
        config=Config(path=None, profiles={}, active=profile),
        clock=fixed_clock(FIXED_NOW),
        state=state,
        autopoll=False,
        engine_factory=engine,
    )
    return SpendApp(launch)


def notice(app: SpendApp) -> str:
    bar = app.query_one(NoticeBar)
    return str(bar.render()) if bar.has_class("-visible") else ""


def tag_truth(rows: list[dict]) -> dict[str, Decimal]:
    """Spend per tag, summed here from the served requests (every request is in the window)."""
    out: dict[str, Decimal] = defaultdict(Decimal)
    for r in rows:
        for tag in r.get("request_tags") or []:
            out[tag] += Decimal(str(r["spend"] or 0))
    return out


async def test_a_crossed_breakdown_the_tables_cannot_answer_is_refused_not_estimated(proxy) -> None:
    server, rows = proxy
    model = max({r["model_group"] for r in rows})
    app = make_app(server.url, ViewState(pane="customers", filters=Filters(model=frozenset({model}))))
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(app, pilot)
        table = app.query_one("#table-customers", BreakdownTable)
        assert table.row_count == 0
        text = notice(app)
        assert "cannot answer" in text and "customer" in text and "model" in text
        assert app.query_one("#panes").display  # the KPIs are still exact: only the table is refused
        # the same pane without the filter is exact again, and the notice goes away
        await press(app, pilot, "x")
        assert table.row_count > 0 and notice(app) == ""


async def test_tags_over_history_show_exact_rows_and_say_untagged_is_unknown(proxy) -> None:
    server, rows = proxy
    app = make_app(server.url, ViewState(pane="tags"))
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(app, pilot)
        assert "(untagged) is not shown" in notice(app)
        shown = {r.value: r.totals.spend for r in app.query_one("#table-tags", BreakdownTable)._spend_rows.values()}
        truth = tag_truth(rows)
        assert shown.keys() == truth.keys()
        for tag, spend in truth.items():
            assert abs(shown[tag] - int(spend * 10**12)) <= SLACK, tag
        assert "daily aggregates" in app.query_one(StatusBar).extra


async def test_filters_no_table_crosses_hide_every_figure(proxy) -> None:
    server, rows = proxy
    model = max({r["model_group"] for r in rows})
    customer = max({r["end_user"] for r in rows if r.get("end_user")})
    filters = Filters(model=frozenset({model}), customer=frozenset({customer}))
    app = make_app(server.url, ViewState(pane="overview", filters=filters))
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(app, pilot)
        assert app.applied is not None and app.applied.kpis is None
        assert not app.query_one("#panes").display
        assert "cannot answer" in notice(app) and "x clears filters" in notice(app)
        await press(app, pilot, "x")
        assert app.query_one("#panes").display and notice(app) == ""
        assert app.applied.kpis is not None and app.applied.kpis.window.requests == len(rows)


async def test_no_latency_over_the_rest_api_and_the_chart_says_why(proxy) -> None:
    """LiteLLM's daily activity has no request durations: the Models table has no latency
    columns (never zeros or dashes that look like data) and the latency chart says why."""
    from spendtui.core.latency_cells import NO_LATENCY_SOURCE
    from spendtui.tui.widgets.charts import SpendChart

    server, _ = proxy
    app = make_app(server.url, ViewState())
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "2")
        table = app.query_one("#table-models", BreakdownTable)
        assert table.shown_rows() and not {"p50", "p95", "ttft50"} & {k for k, _ in table.columns_shown}
        await press(app, pilot, "8")
        snap = app.applied
        assert snap is not None and snap.chart is not None
        assert snap.chart.latency is None and snap.chart.latency_note == NO_LATENCY_SOURCE
        assert not snap.latency_pending  # nothing waits for a read that cannot come
        assert app.query_one("#chart-latency", SpendChart)._drawn is not None
