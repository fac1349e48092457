"""Property tests: any JSON from any proxy endpoint gives figures or spendtui's own
error with a one-line message, never another exception.

Bodies are built in the shapes LiteLLM answers with, where any part may be replaced by
arbitrary JSON (nulls, NaN, infinities, huge numbers, unicode, wrong types)."""

from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from spendtui.core.cube import Cube
from spendtui.core.query import Query
from spendtui.errors import SourceError
from spendtui.sources.daily.history import build_history
from spendtui.sources.daily.tables import DailyTable, merge_page
from spendtui.sources.proxy import admin
from spendtui.sources.proxy.errors import error_message
from spendtui.sources.proxy.logs import end_time, parse_logs_page, raw_row
from spendtui.timeutil import day_number

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
WHERE = "http://127.0.0.1:4000/endpoint"

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["NaN", "Infinity", "-1", "1e400", "sNaN", "2026-11-27T12:00:00Z", "true", ""]),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)),
    max_leaves=10,
)


def maybe(strategy: st.SearchStrategy) -> st.SearchStrategy:
    """The right shape most of the time, anything at all otherwise."""
    return st.one_of(strategy, strategy, strategy, json_values)


def shape(**fields: st.SearchStrategy) -> st.SearchStrategy:
    return maybe(st.fixed_dictionaries({}, optional={k: maybe(v) for k, v in fields.items()}))


numbers = st.one_of(
    st.integers(-5, 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.none(),
    st.sampled_from([10**40, 2**63, -(2**63) - 1, 1e300, "Infinity", "1e999999999", "12.5", "sNaN"]),
)
stamps = st.one_of(
    st.datetimes().map(lambda d: d.isoformat()),
    st.datetimes().map(lambda d: d.isoformat()),
    st.text(max_size=25),
    st.integers(),
)
metrics = shape(
    spend=numbers,
    api_requests=numbers,
    prompt_tokens=numbers,
    completion_tokens=numbers,
    total_tokens=numbers,
    failed_requests=numbers,
)
per_key = st.dictionaries(st.text(max_size=8), shape(metrics=metrics), max_size=3)
entries = st.dictionaries(st.text(max_size=8), shape(metrics=metrics, api_key_breakdown=per_key), max_size=3)
daily_body = shape(
    results=st.lists(
        shape(
            date=st.one_of(st.dates().map(str), st.text(max_size=12)),
            breakdown=shape(api_keys=per_key, model_groups=entries, providers=entries, entities=entries),
        ),
        max_size=4,
    ),
    metadata=json_values,
)
log_row = shape(
    request_id=st.one_of(st.text(min_size=1, max_size=12), st.integers()),
    startTime=stamps,
    endTime=stamps,
    model=json_values,
    model_group=json_values,
    custom_llm_provider=json_values,
    api_key=json_values,
    user=json_values,
    team_id=json_values,
    end_user=json_values,
    request_tags=json_values,
    spend=numbers,
    prompt_tokens=numbers,
    completion_tokens=numbers,
    total_tokens=numbers,
    status=st.sampled_from(["success", "failure", None]),
    cache_hit=json_values,
)
logs_body = shape(data=st.lists(log_row, max_size=6), total=numbers, total_is_capped=json_values)
item = shape(
    token=st.text(max_size=10),
    key_alias=json_values,
    key_name=json_values,
    team_id=st.text(max_size=6),
    team_alias=json_values,
    user_id=st.text(max_size=6),
    alias=json_values,
    spend=numbers,
    max_budget=st.one_of(numbers, st.text(max_size=8)),
    soft_budget=numbers,
    budget_duration=json_values,
    budget_reset_at=stamps,
    blocked=json_values,
    budget_id=st.text(max_size=4),
    litellm_budget_table=shape(max_budget=numbers, soft_budget=numbers, budget_duration=json_values),
)
model_body = shape(
    data=st.lists(
        shape(
            model_name=json_values,
            model_info=shape(
                input_cost_per_token=numbers,
                output_cost_per_token=numbers,
                max_input_tokens=numbers,
                litellm_provider=json_values,
            ),
            litellm_params=json_values,
        ),
        max_size=4,
    )
)


def own_error(exc: SourceError) -> None:
    message = str(exc)
    assert message and "\n" not in message


@SETTINGS
@given(daily_body)
@example({"results": [{"date": "2026-11-27", "breakdown": {"api_keys": {"k": {"metrics": {"api_requests": 10**40}}}}}]})
def test_daily_activity_pages(body) -> None:
    table = DailyTable("user")
    try:
        merge_page(table, body, WHERE)
    except SourceError as exc:
        own_error(exc)
        return
    for cells in (table.keys, *table.cells.values()):
        for cell in cells.values():
            assert all(isinstance(v, int) and v >= 0 or i == 0 for i, v in enumerate(cell))
    try:  # the history fact cubes built from it
        cubes, _ = build_history(day_number(date(1, 1, 1)), day_number(date(9999, 12, 31)), table)
    except SourceError as exc:
        own_error(exc)
        return
    for fact in cubes:
        assert Query(fact.cube).totals(None).requests >= 0


HUGE_ROW = {"request_id": "r", "startTime": "2026-11-27T10:00:00Z", "spend": 0.1, "prompt_tokens": 10**40}


@SETTINGS
@given(logs_body)
@example({"data": [HUGE_ROW, {**HUGE_ROW, "request_id": "s", "prompt_tokens": 5, "completion_tokens": 2**63}]})
@example({"data": [{**HUGE_ROW, "prompt_tokens": -(2**63) - 1, "total_tokens": "1e999999999"}]})
def test_spend_log_pages_into_the_cube(body) -> None:
    try:
        page = parse_logs_page(body, WHERE)
    except SourceError as exc:
        own_error(exc)
        return
    rows = []
    for row in page.rows:
        end_time(row)
        try:
            rows.append(raw_row(row))
        except SourceError as exc:
            own_error(exc)
    cube = Cube()
    cube.add_rows(rows)
    totals = Query(cube).totals(None)
    assert totals.requests + cube.quality.bad_spend + cube.quality.bad_time == len(rows)


@SETTINGS
@given(
    st.lists(item, max_size=4),
    st.lists(item, max_size=3),
    st.lists(item, max_size=3),
    st.lists(item, max_size=3),
    st.lists(item, max_size=3),
)
def test_key_team_user_customer_and_budget_lists(keys, teams, users, customers, rows) -> None:
    lists = []
    for body in (keys, teams, users, customers, rows):
        try:
            lists.append(admin.list_of(body, None, WHERE))
        except SourceError as exc:
            own_error(exc)
            lists.append([])
    admin.names_from(admin.NameLists(lists[0], lists[1], lists[3], lists[0], lists[1], lists[2], lists[2], lists[2]))
    for state in admin.budgets_from(*lists):
        for amount in (state.spend, state.max_budget, state.soft_budget):
            assert amount is None or isinstance(amount, int)


@SETTINGS
@given(model_body, json_values, json_values)
def test_prices_health_and_error_bodies(body, readiness, details) -> None:
    try:
        for model in admin.models_from(body, WHERE):
            for price in (model.input_per_token, model.output_per_token):
                assert price is None or isinstance(price, int)
    except SourceError as exc:
        own_error(exc)
    admin.health_from(readiness, details, "mode")
    message = error_message(details)
    assert message is None or isinstance(message, str)
