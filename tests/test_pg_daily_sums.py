"""``history: daily`` sums the daily tables on the server in float8 and int4, which is
about twice as fast as bigint sums; these tests check that what comes back is exact
(equal to ``numeric`` sums over the same rows) also where those fast sums are not: a
cell's spend past 2**53 pico-dollars (about $9,007) and a count past 2**31."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import create_engine, text

from spendtui.sources.db.daily import read_daily_table, reflect_daily
from spendtui.timeutil import day_number
from tests.helpers import create_pg_database, load_real_schema

pytestmark = pytest.mark.postgres

DAY = date(2026, 11, 20)
#: The day whose rows hold a count past int4 (read on its own: either case alone must
#: be caught, the other would send the whole read to the exact sums)
COUNT_DAY = date(2026, 11, 21)
COLUMNS = "id, {entity}, date, api_key, model, custom_llm_provider, spend, api_requests, prompt_tokens, " + (
    "completion_tokens, failed_requests, cache_read_input_tokens, cache_creation_input_tokens, updated_at"
)
#: (day, entity, key, model, spend, requests, prompt, completion, failed); the key-a rows
#: of "big" add up past 2**53 pico-dollars (to an odd number, which float8 cannot hold),
#: and key-b has more prompt tokens than int4 holds.
ROWS = [
    (DAY, "big", "key-a", "gpt-4o", 9000.123456789, 3, 10, 20, 0),
    (DAY, "big", "key-a", "gpt-4o-mini", 1000.000000000122, 2, 5, 5, 1),
    (DAY, "small", "key-a", "gpt-4o", 0.000123456789, 1, 7, 8, 0),
    (DAY, None, "key-c", "gpt-4o", 1.5, 1, 1, 1, 0),
    (COUNT_DAY, "small", "key-b", "claude", 0.25, 4, 3_000_000_000, 9, 0),
    (COUNT_DAY, "small", "key-a", "claude", 0.5, 1, 2, 3, 0),
]
MEASURES = (
    "sum(round(spend * 1e12)::bigint), sum(api_requests), sum(prompt_tokens), sum(completion_tokens), "
    "sum(prompt_tokens + completion_tokens), sum(failed_requests), sum(cache_read_input_tokens), "
    "sum(cache_creation_input_tokens)"
)


@pytest.fixture(scope="module")
def db() -> str:
    url = create_pg_database("spendtui_test_daily_sums")
    load_real_schema(url)
    with _engine(url).begin() as conn:
        for table, entity in (("LiteLLM_DailyUserSpend", "user_id"), ("LiteLLM_DailyEndUserSpend", "end_user_id")):
            for i, (day, who, key, model, spend, requests, prompt, completion, failed) in enumerate(ROWS):
                conn.execute(
                    text(
                        f'INSERT INTO "{table}" ({COLUMNS.format(entity=entity)}) VALUES '  # noqa: S608
                        "(:id, :who, :day, :key, :model, 'openai', :spend, :requests, :prompt, :completion, "
                        ":failed, :cache_read, :cache_write, now())"
                    ),
                    {
                        "id": f"row-{i}",
                        "who": who,
                        "day": day.isoformat(),
                        "key": key,
                        "model": model,
                        "spend": spend,
                        "requests": requests,
                        "prompt": prompt,
                        "completion": completion,
                        "failed": failed,
                        # (a share of the prompt: key-b's past int4 summed over both its rows)
                        "cache_read": prompt * 3 // 4,
                        "cache_write": completion // 3,
                    },
                )
    return url


def _engine(url: str):  # type: ignore[no-untyped-def]
    return create_engine(url.replace("postgresql://", "postgresql+psycopg://"))


def _truth(url: str, table: str, group: str, day: date) -> dict[tuple, list[int]]:
    """Exact sums (numeric) per (date, group, key), independent of spendtui's SQL."""
    sql = f'SELECT date, {group}, api_key, {MEASURES} FROM "{table}" WHERE date = :d GROUP BY 1, 2, 3'  # noqa: S608
    with _engine(url).connect() as conn:
        return {
            (r[0], r[1], r[2]): [int(v) for v in r[3:9]] + [0] + [int(v) for v in r[9:]]
            for r in conn.execute(text(sql), {"d": str(day)})
        }


def _read(url: str, entity: str, day: date):  # type: ignore[no-untyped-def]
    with _engine(url).connect() as conn:
        specs, notes = reflect_daily(conn, None)
        assert not notes
        table = read_daily_table(conn, specs[entity], None, day_number(day), day_number(day))
    # (cells are the driver's tuples, or lists: compare the numbers)
    table.keys = {k: list(v) for k, v in table.keys.items()}
    table.cells = {dim: {k: list(v) for k, v in cells.items()} for dim, cells in table.cells.items()}
    return table


def test_the_rows_need_the_exact_fallback(db) -> None:
    """The data is what the fallback is for: a float8 sum of key-a's spend for "big" is
    off, and an int4 cast of key-b's prompt tokens fails."""
    with _engine(db).connect() as conn:
        exact, fast = conn.execute(
            text(
                "SELECT sum(round(spend * 1e12)::bigint), sum(round(spend * 1e12))::bigint "
                "FROM \"LiteLLM_DailyEndUserSpend\" WHERE end_user_id = 'big'"
            )
        ).one()
        assert exact != fast and exact > 2**53
        with pytest.raises(Exception, match="integer out of range"):
            conn.execute(text('SELECT sum(prompt_tokens::int4) FROM "LiteLLM_DailyEndUserSpend"')).one()


@pytest.mark.parametrize("day", [DAY, COUNT_DAY], ids=["spend-past-2**53", "count-past-int4"])
def test_entity_cells_are_exact(db, day) -> None:
    table = _read(db, "customer", day)
    truth = _truth(db, "LiteLLM_DailyEndUserSpend", "end_user_id", day)
    assert table.cells["entity"] == {(d, e or "", k): m for (d, e, k), m in truth.items()}


@pytest.mark.parametrize("day", [DAY, COUNT_DAY], ids=["spend-past-2**53", "count-past-int4"])
def test_user_cells_and_key_totals_are_exact(db, day) -> None:
    table = _read(db, "user", day)
    user = "LiteLLM_DailyUserSpend"
    truth = _truth(db, user, "user_id", day)
    assert table.cells["entity"] == {(d, e or "", k): m for (d, e, k), m in truth.items()}
    assert table.cells["model"] == _truth(db, user, "model", day)
    assert table.keys == {(d, k): m for (d, _, k), m in _truth(db, user, "''", day).items()}
