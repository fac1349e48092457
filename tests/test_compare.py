"""Change figures compare like with like (issue 24: "+213 %" against a half-empty
previous period, a partial today against all of yesterday, "+2303247 %")."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import create_engine, text

from spendtui.core.query import Window
from spendtui.dashboard import format as fmt
from spendtui.dashboard.compare import periods
from spendtui.dashboard.snapshot import build
from spendtui.dashboard.state import ViewState
from spendtui.engine import SpendEngine
from spendtui.money import to_pico
from spendtui.sources.db.source import DatabaseSource
from spendtui.sources.db.urls import parse_database_url
from spendtui.timeutil import day_number, fixed_clock
from tests.helpers import FIXED_NOW

MORNING = FIXED_NOW.replace(hour=7, minute=9)


def test_periods_leave_out_the_partial_day_or_hour() -> None:
    today = MORNING.date()
    month = Window.last_days(30, today)
    p = periods(month, MORNING)
    assert p is not None and p.current == Window(month.first_day, month.last_day - 1)
    assert p.previous == Window(month.first_day - 30, month.first_day - 2) and p.previous.days == 29
    day = periods(Window.from_dates(today, today), MORNING)
    assert day is not None and day.label == "vs yesterday"
    assert day.current == Window(day_number(today), day_number(today), 7)
    assert day.previous == Window(day_number(today) - 1, day_number(today) - 1, 7)
    assert periods(Window.from_dates(today, today), MORNING.replace(hour=0, minute=30)) is None
    past = Window.from_dates(date(2026, 10, 1), date(2026, 10, 10))
    assert periods(past, MORNING) == periods(past, FIXED_NOW)
    assert periods(past, MORNING).previous == past.previous()  # type: ignore[union-attr]


def test_change_text_never_absurd() -> None:
    assert fmt.change_text(23_032.47) == "new" and fmt.change_text(float("inf")) == "new"
    assert fmt.change_text(11.0) == "×12" and fmt.change_text(2.14) == "+214%"
    assert fmt.change_text(-0.035) == "-3.5%" and fmt.change_text(None) == "–"


def _spend(url: str, where: str, **params: object) -> tuple[int, int]:
    """(pico-dollars, requests) of the rows matching ``where``, summed here row by row."""
    with create_engine(url).connect() as conn:
        rows = conn.execute(text(f'SELECT spend FROM "LiteLLM_SpendLogs" WHERE {where}'), params).fetchall()  # noqa: S608
    picos = [to_pico(s) for (s,) in rows]
    return sum(p for p in picos if p is not None), sum(1 for p in picos if p is not None)


def _engine(db, now) -> SpendEngine:  # type: ignore[no-untyped-def]
    return SpendEngine(DatabaseSource(parse_database_url(f"sqlite:///{db}")), clock=fixed_clock(now))


def _day(d: date, hours: int | None = None) -> tuple[str, str]:
    start = f"{d.isoformat()} 00:00:00"
    end = f"{d.isoformat()} {hours:02d}:00:00" if hours is not None else f"{(d + timedelta(days=1)).isoformat()}"
    return start, end


@pytest.mark.parametrize("hour", [7, 12])
def test_today_compares_complete_hours_with_the_same_hours_yesterday(litellm_db, hour) -> None:
    now = FIXED_NOW.replace(hour=hour, minute=9)
    url = f"sqlite:///{litellm_db}"
    engine = _engine(litellm_db, now)
    state = ViewState(window="today")
    engine.load(state.first_day_needed(now.date()))
    snap = build(engine, state, 1, now)
    today, yesterday = now.date(), now.date() - timedelta(days=1)
    lo, hi = _day(today, hour)
    assert (snap.kpis.compared.spend, snap.kpis.compared.requests) == _spend(
        url, '"startTime" >= :lo AND "startTime" < :hi', lo=lo, hi=hi
    )
    lo, hi = _day(yesterday, hour)
    assert (snap.kpis.previous.spend, snap.kpis.previous.requests) == _spend(
        url, '"startTime" >= :lo AND "startTime" < :hi', lo=lo, hi=hi
    )
    if hour == 7:  # (the demo's data ends at 12:00) the running hour and after are left out
        assert snap.kpis.window.requests > snap.kpis.compared.requests
    engine.close()


def test_a_month_compares_complete_days_and_says_the_previous_is_partly_covered(litellm_db) -> None:
    """The demo holds 45 days: the previous 30 days have data only for their last 15."""
    url = f"sqlite:///{litellm_db}"
    engine = _engine(litellm_db, MORNING)
    state = ViewState(window="30d", pane="models")
    engine.load(state.first_day_needed(MORNING.date()))
    snap = build(engine, state, 1, MORNING)
    today = MORNING.date()
    first = today - timedelta(days=29)
    assert (snap.kpis.compared.spend, snap.kpis.compared.requests) == _spend(
        url, '"startTime" >= :lo AND "startTime" < :hi', lo=first.isoformat(), hi=today.isoformat()
    )
    p_first = first - timedelta(days=30)
    p_end = p_first + timedelta(days=29)
    assert (snap.kpis.previous.spend, snap.kpis.previous.requests) == _spend(
        url, '"startTime" >= :lo AND "startTime" < :hi', lo=p_first.isoformat(), hi=p_end.isoformat()
    )
    start = (FIXED_NOW.date() - timedelta(days=44)).isoformat()
    assert snap.kpis.compare_note and "partly covered" in snap.kpis.compare_note
    with create_engine(url).connect() as conn:
        oldest = conn.execute(text('SELECT min(substr("startTime", 1, 10)) FROM "LiteLLM_SpendLogs"')).scalar()
    assert oldest >= start and oldest in snap.kpis.compare_note
    assert snap.table is not None and snap.kpis.compare_note in snap.table.caveats
    # each row: its complete days against the same days of the previous period
    row = snap.table.rows[0]
    mine, _ = _spend(
        url,
        '"startTime" >= :lo AND "startTime" < :hi AND coalesce(nullif(model_group, \'\'), model) = :m',
        lo=first.isoformat(),
        hi=today.isoformat(),
        m=row.value,
    )
    before, _ = _spend(
        url,
        '"startTime" >= :lo AND "startTime" < :hi AND coalesce(nullif(model_group, \'\'), model) = :m',
        lo=p_first.isoformat(),
        hi=p_end.isoformat(),
        m=row.value,
    )
    assert (row.compared_spend, row.previous_spend) == (mine, before)
    engine.close()


def test_a_window_with_nothing_before_the_data_says_so(litellm_db) -> None:
    engine = _engine(litellm_db, MORNING)
    state = ViewState(
        window="custom", custom=(MORNING.date() - timedelta(days=44), MORNING.date() - timedelta(days=30))
    )
    engine.load(state.first_day_needed(MORNING.date()))
    snap = build(engine, state, 1, MORNING)
    assert snap.kpis.previous is None and snap.kpis.compare_label == "no earlier data"
    assert snap.kpis.compare_note is None
    engine.close()
