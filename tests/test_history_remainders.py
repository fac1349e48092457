"""The history views built from daily tables complete each view to the user table's
per-key totals (requests with no model, no team...), and refuse a view that has more
than those totals. Hand-made tables, answers worked out by hand."""

from __future__ import annotations

import pytest

from spendtui.core.query import Query
from spendtui.errors import SourceDataError
from spendtui.sources.daily.history import build_history
from spendtui.sources.daily.tables import DailyTable
from spendtui.timeutil import day_number, parse_day

D1, D2 = "2026-11-20", "2026-11-21"
FIRST, LAST = day_number(parse_day(D1)), day_number(parse_day(D2))


def cell(spend: int, requests: int, prompt: int = 0) -> list[int]:
    return [spend, requests, prompt, 0, prompt, 0, 0, 0, 0]


def user_table(keys: dict, models: dict) -> DailyTable:
    table = DailyTable("user", keys=keys)
    table.cells["model"] = models
    table.cells["entity"] = {(d, "alice", k): list(c) for (d, k), c in keys.items()}  # one user per key
    return table


def view(facts: list, name: str):  # type: ignore[no-untyped-def]
    return next(f for f in facts if f.name == name)


def by_model(fact) -> dict[str, tuple[int, int]]:  # type: ignore[no-untyped-def]
    return {g.name: (g.totals.spend, g.totals.requests) for g in Query(fact.cube).breakdown("model", None)}


def test_what_a_view_lacks_becomes_its_none_value() -> None:
    keys = {(D1, "k1"): cell(1_000, 10, 50), (D2, "k1"): cell(500, 4), (D1, "k2"): cell(7, 1)}
    models = {
        (D1, "gpt", "k1"): cell(600, 6, 30),
        (D1, "claude", "k1"): cell(300, 3, 20),
        (D2, "gpt", "k1"): cell(500, 4),
    }
    facts, notes = build_history(FIRST, LAST, user_table(keys, models))
    models_view = view(facts, "daily model × key")
    assert models_view.unusable is None and notes == []
    # k1 on D1: 1,000 - 600 - 300 = 100 over 1 request without a model; k2 has no model row
    assert by_model(models_view) == {"gpt": (1_100, 10), "claude": (300, 3), "(none)": (107, 2)}


def test_spend_summed_in_another_order_is_not_a_remainder() -> None:
    """Float sums of the same requests in two tables differ by a few pico-dollars."""
    keys = {(D1, "k1"): cell(1_000_003, 10)}
    facts, _ = build_history(FIRST, LAST, user_table(keys, {(D1, "gpt", "k1"): cell(1_000_000, 10)}))
    assert by_model(view(facts, "daily model × key")) == {"gpt": (1_000_000, 10)}


@pytest.mark.parametrize(
    ("models", "reason"),
    [
        ({(D2, "gpt", "k1"): cell(10, 9)}, f"it counts more requests than the user table for {D2}"),
        ({(D1, "gpt", "k1"): cell(5_000, 10)}, f"it has more spend than the user table for {D1}"),
        ({(D2, "gpt", "k9"): cell(1, 1)}, f"it has a key the user table does not have on {D2}"),
    ],
    ids=["requests", "spend", "key"],
)
def test_a_view_with_more_than_the_user_table_is_refused(models: dict, reason: str) -> None:
    keys = {(D1, "k1"): cell(1_000, 10), (D2, "k1"): cell(500, 4)}
    facts, notes = build_history(FIRST, LAST, user_table(keys, models))
    assert (
        view(facts, "daily model × key").unusable
        == f"the proxy's daily model × key view disagrees with its user view: {reason}"
    )
    assert any(reason in n for n in notes)
    assert view(facts, "daily user × key").unusable is None


def test_totals_past_int64_are_summed_exactly() -> None:
    """A key-day's spend past 2**63 pico-dollars (about $9.2M) in the user table, split
    over models (users, providers) that each fit: the remainder is exact."""
    half = 2**62 + 12_345
    keys = {(D1, "k1"): cell(2 * half + 1, 3)}
    table = user_table(keys, {(D1, "gpt", "k1"): cell(half, 1), (D1, "claude", "k1"): cell(half, 1)})
    table.cells["entity"] = {(D1, "alice", "k1"): cell(half, 1), (D1, "bob", "k1"): cell(half + 1, 2)}
    table.cells["provider"] = {(D1, "openai", "k1"): cell(half + 1, 2), (D1, "anthropic", "k1"): cell(half, 1)}
    facts, _ = build_history(FIRST, LAST, table)
    assert by_model(view(facts, "daily model × key")) == {"gpt": (half, 1), "claude": (half, 1), "(none)": (1, 1)}


def test_a_cell_past_int64_is_a_clear_error() -> None:
    keys = {(D1, "k1"): cell(2**63, 3)}
    with pytest.raises(SourceDataError, match=r"more than spendtui's 64-bit cells hold \(2026-11-20\)"):
        build_history(FIRST, LAST, user_table(keys, {}))
