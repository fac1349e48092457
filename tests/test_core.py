"""The pure core: money, cube sums, tags, filters, windows. No I/O."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal

import numpy as np
import pytest

from spendtui.core.cube import CellChunk, Cube, RawRow
from spendtui.core.dims import parse_tags, tag_category, tag_value
from spendtui.core.measures import N_MEASURES, Totals, group_totals
from spendtui.core.query import Filters, Query, Window
from spendtui.money import PICO, format_usd, format_usd_auto, to_micro_decimal, to_pico, usd_to_pico, used_percent
from spendtui.timeutil import day_date, day_number, parse_timestamp


def row(rid, start, spend, model="m", key="k", user="u", team="t", customer=None, tags="[]", failed=False):
    return RawRow(rid, start, model, "p", key, user, team, customer, tags, to_pico(spend), 10, 5, 15, failed, False)


def test_to_pico_rejects_unusable_values() -> None:
    assert to_pico(1.5) == 1_500_000_000_000
    assert to_pico(0.0000015) == 1_500_000
    assert to_pico(Decimal("0.1")) == 100_000_000_000
    for bad in (None, float("nan"), float("inf"), -0.01, 1e7, "x", True, [1]):
        assert to_pico(bad) is None


def test_many_tiny_costs_sum_exactly() -> None:
    cube = Cube()
    cube.add_rows(row(str(i), "2026-11-20 10:00:00", 0.0000015) for i in range(100_000))
    total = Query(cube).totals(None)
    assert total.spend == 100_000 * 1_500_000  # exactly $0.15
    assert to_micro_decimal(total.spend) == Decimal("0.150000")
    assert sum([0.0000015] * 100_000) != 0.15  # what a float sum would have said


def test_group_totals_beyond_int64_stays_exact() -> None:
    groups = np.array([0, 0, 1, 0], dtype=np.intp)
    big = 4_000_000 * PICO  # $4M per row: sums overflow int64 pico-dollars
    measures = np.array([[big, 1, 0, 0, 0, 0, 0, 0, 0]] * 4, dtype=np.int64).T
    totals = group_totals(groups, measures, 2, spend_bound=4 * big)
    assert totals[0].spend == 3 * big and totals[1].spend == big
    assert totals[0].requests == 3


def test_tags_count_once_per_tag_and_total_once() -> None:
    cube = Cube()
    cube.add_rows(
        [
            row("a", "2026-11-20 10:00:00", 1, tags='["project:web", "env:prod"]'),
            row("b", "2026-11-20 10:00:00", 2, tags='["project:web"]'),
            row("c", "2026-11-20 10:00:00", 4, tags="[]"),
            row("d", "2026-11-20 10:00:00", 8, tags='["project:api", "project:web"]'),
        ]
    )
    q = Query(cube)
    tags = {g.name: g.totals.spend // PICO for g in q.breakdown("tag", None)}
    assert tags == {"project:web": 11, "env:prod": 1, "(untagged)": 4, "project:api": 8}
    projects = {g.name: g.totals.spend // PICO for g in q.breakdown("tag:project", None)}
    assert projects == {"web": 11, "api": 8, "(untagged)": 4}
    envs = {g.name: g.totals.spend // PICO for g in q.breakdown("tag:env", None)}
    assert envs == {"prod": 1, "(no env)": 10, "(untagged)": 4}  # b and d have tags, none of env
    assert q.totals(None).spend == 15 * PICO
    assert q.tag_categories() == ["env", "project"]


def test_filters_or_within_and_across_dimensions() -> None:
    cube = Cube()
    cube.add_rows(
        [
            row("a", "2026-11-20 10:00:00", 1, model="gpt", key="k1", tags='["project:web"]'),
            row("b", "2026-11-20 10:00:00", 2, model="claude", key="k1"),
            row("c", "2026-11-21 10:00:00", 4, model="gpt", key="k2", customer="customer_1"),
            row("d", "2026-11-22 10:00:00", 8, model="gemini", key="k2", tags='["project:web"]'),
        ]
    )
    q = Query(cube)
    spend = lambda f, w=None: q.totals(w, f).spend // PICO  # noqa: E731
    assert spend(Filters(model=frozenset({"gpt", "claude"}))) == 7
    assert spend(Filters(model=frozenset({"gpt"}), key=frozenset({"k2"}))) == 4
    assert spend(Filters(tag=frozenset({"project:web"}))) == 9
    assert spend(Filters(customer=frozenset({"customer_1"}))) == 4
    assert spend(Filters(model=frozenset({"unknown"}))) == 0
    d20 = day_number(date(2026, 11, 20))
    assert spend(Filters(), Window(d20, d20 + 1)) == 7
    customers = {g.name: g.totals.spend // PICO for g in q.breakdown("customer", None)}
    assert customers == {"(none)": 11, "customer_1": 4}


def test_daily_and_hourly_series() -> None:
    cube = Cube()
    cube.add_rows(
        [
            row("a", "2026-11-20 10:15:00", 1),
            row("b", "2026-11-20 10:45:00", 2),
            row("c", "2026-11-20 23:59:59", 4),
            row("d", "2026-11-22 00:00:00", 8),
        ]
    )
    q = Query(cube)
    d20 = day_number(date(2026, 11, 20))
    daily = q.daily(Window(d20, d20 + 2))
    assert [(d.isoformat(), t.spend // PICO) for d, t in daily] == [
        ("2026-11-20", 7),
        ("2026-11-21", 0),
        ("2026-11-22", 8),
    ]
    hours = q.hourly(d20)
    assert hours is not None and hours[10][1].spend == 3 * PICO and hours[23][1].requests == 1


def test_whole_day_cells_have_no_hourly_series() -> None:
    cube = Cube()
    key = "m\x1fp\x1fk\x1fu\x1ft\x1f\x1fo\x1fa\x1f[]"
    chunk = CellChunk(["2026-11-20"], [key], np.array([[PICO, 1, 0, 0, 0, 0, 0, 0, 0]]))
    cube.add_chunk(chunk)
    assert Query(cube).hourly(day_number(date(2026, 11, 20))) is None


def test_compact_merges_duplicate_cells_without_changing_answers() -> None:
    cube = Cube()
    for i in range(50):
        cube.add_rows([row(str(i), "2026-11-20 10:00:00", 1)])
    cube._hot.clear()
    cube.add_rows([row("x", "2026-11-20 10:00:00", 1)])
    before = Query(cube).breakdown("model", None)
    n_before = cube.n
    cube.compact()
    assert cube.n < n_before and Query(cube).breakdown("model", None) == before


@pytest.mark.parametrize("how", ["compact", "batches"])
@pytest.mark.parametrize("wide", [False, True])
def test_compact_sums_equal_coordinates_exactly(wide: bool, how: str, monkeypatch) -> None:
    """Random duplicate cells, merged by the packed-key path and by the row sort used when
    coordinates are too wide to pack, after the chunks (``compact``) or as they arrive in
    batches of a few chunks (a cold load's ``begin_load``): each merged cell equals a plain
    dict sum."""
    import spendtui.core.cell_merge as cell_merge

    if wide:
        monkeypatch.setattr(cell_merge, "_packed", lambda columns: None)
    rng = np.random.default_rng(5)
    n = 5_000
    days = [
        f"2026-11-{d:02d}" + (f" {h:02d}" if h >= 0 else "")
        for d, h in zip(rng.integers(1, 28, n), rng.integers(-1, 24, n), strict=True)
    ]
    keys = [f"m{a}\x1fp\x1fk{b}\x1fu\x1ft\x1fc{c}\x1fo\x1fa\x1f[]" for a, b, c in rng.integers(0, 4, (n, 3))]
    measures = rng.integers(0, 10**15, (n, N_MEASURES), dtype=np.int64)
    cube = Cube()
    if how == "batches":
        cube.begin_load()
        cube._batches.batch_cells = 1_500  # type: ignore[union-attr]  (three batches and a rest)
    for lo in range(0, n, 700):  # several chunks, as a chunked cold load adds them
        cube.add_chunk(CellChunk(days[lo : lo + 700], keys[lo : lo + 700], measures[lo : lo + 700]))
    want: dict[tuple[str, str], np.ndarray] = {}
    for bucket, key, m in zip(days, keys, measures, strict=True):
        want[(bucket, key)] = want.get((bucket, key), 0) + m
    if how == "batches":
        assert cube.n == 0
        cube.finish_load()
    else:
        cube.compact()
    assert cube.n == len(want) and cube.sorted_n == cube.n
    assert list(cube.view("day")) == sorted(cube.view("day"))
    dims = cube.dims
    got = {}
    for i in range(cube.n):
        day = day_date(int(cube.day[i])).isoformat()
        hour = int(cube.hour[i])
        mctx, kctx = int(cube.mctx[i]), int(cube.kctx[i])
        key = "\x1f".join(
            (
                dims.models.values[dims.mctx_model[mctx]],
                "p",
                dims.keys.values[dims.kctx_key[kctx]],
                "u",
                "t",
                dims.customers.values[int(cube.cust[i])],
                "o",
                "a",
                "[]",
            )
        )
        got[(day + (f" {hour:02d}" if hour >= 0 else ""), key)] = cube.view("m")[:, i]
    assert got.keys() == want.keys()
    assert all((got[k] == want[k]).all() for k in want)


def test_parse_tags_and_categories() -> None:
    assert parse_tags('["b", "a", "a", " "]') == (("a", "b"), True)
    assert parse_tags("not json")[1] is False
    assert parse_tags(["x", 1]) == (("x",), False)
    assert parse_tags(None) == ((), True)
    assert tag_category("cost-center:research") == "cost-center"
    assert tag_value("User-Agent: curl/8") == "curl/8"
    assert tag_category("plain") is None


def test_windows() -> None:
    today = date(2026, 11, 27)
    assert Window.last_days(7, today).first == date(2026, 11, 21)
    assert Window.month_to_date(today).first == date(2026, 11, 1)
    assert Window.quarter_to_date(today).first == date(2026, 10, 1)
    w = Window.last_days(7, today)
    assert w.previous().last == date(2026, 11, 20) and w.previous().days == 7
    with pytest.raises(ValueError):
        Window(5, 4)


def test_money_formatting() -> None:
    assert format_usd(1_234_567 * PICO // 100) == "$12,345.67"
    # one rule for every amount shown to people (README, "Money")
    assert format_usd_auto(PICO // 1000) == "$0.001"
    assert format_usd_auto(0) == "$0.00" and format_usd_auto(PICO // 10) == "$0.10"
    assert format_usd_auto(PICO // 100) == "$0.01"  # not $0.0100
    assert format_usd_auto(24 * PICO // 1000) == "$0.024"  # not $0.0240
    assert format_usd_auto(31 * PICO // 10_000) == "$0.0031"
    assert format_usd_auto(123_456_789) == "$0.00012"  # never $0.0000
    assert format_usd_auto(1) == "<$0.000001"
    assert format_usd_auto(12_345_678 * PICO // 1_000_000) == "$12.35"
    assert used_percent(797, 1000) == "79%"  # rounded down: 79.7 % is not yet the 80 % warning
    assert used_percent(9_996, 10_000, 1) == "99.9%" and used_percent(1_134, 1000, 1) == "113.4%"
    assert used_percent(8, 10) == "80%"
    assert usd_to_pico("0.1") == PICO // 10
    assert Totals(spend=10 * PICO, requests=4, total_tokens=2000).cost_per_1k_tokens() == 5 * PICO


def test_parse_timestamp_forms() -> None:
    assert parse_timestamp("2026-11-20T23:30:00-05:00").isoformat() == "2026-11-21T04:30:00+00:00"
    assert parse_timestamp("2026-11-20 10:00:00.123456789").microsecond == 123456
    assert parse_timestamp("2026-02-30") is None and parse_timestamp(math.nan) is None
    assert parse_timestamp("garbage") is None
