"""Property tests: arbitrary bad input gives spendtui's own errors with a message, never a crash."""

from __future__ import annotations

import contextlib
import io
import math
from datetime import UTC, datetime
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spendtui.cli import main
from spendtui.config import Overrides, load_config
from spendtui.core.cube import Cube, RawRow
from spendtui.core.dims import parse_tags
from spendtui.core.durations import DurationError, current_window, parse_duration
from spendtui.core.query import Filters, Query
from spendtui.errors import ConfigError
from spendtui.keys.spec import SpecError, parse_spec
from spendtui.money import to_pico
from spendtui.timeutil import parse_timestamp

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
yaml_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True),
    st.text(max_size=40),
)
yaml_values = st.recursive(
    yaml_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)),
    max_leaves=12,
)
config_keys = st.sampled_from(
    ["default_profile", "profiles", "refresh_interval", "theme", "mouse", "budgets", "nonsense", "database_url"]
)


@SETTINGS
@given(st.dictionaries(config_keys, yaml_values, max_size=5))
def test_any_config_document_loads_or_names_its_problem(tmp_path_factory, document) -> None:
    path = tmp_path_factory.mktemp("cfg") / "config.yaml"
    path.write_text(yaml.safe_dump(document))
    try:
        load_config(Overrides(config_path=str(path)), env={})
    except ConfigError as exc:
        assert str(path) in str(exc)


@SETTINGS
@given(st.binary(max_size=300))
def test_any_bytes_as_config(tmp_path_factory, data) -> None:
    path = tmp_path_factory.mktemp("cfg") / "config.yaml"
    path.write_bytes(data)
    try:
        load_config(Overrides(config_path=str(path)), env={})
    except ConfigError as exc:
        assert str(path) in str(exc) and "\n" not in str(exc)


@SETTINGS
@given(st.text(max_size=12))
def test_durations_parse_or_explain(text) -> None:
    try:
        d = parse_duration(text)
    except DurationError as exc:
        assert str(exc)
        return
    start, end = current_window(d, datetime(2026, 11, 27, 12, 34, 56, tzinfo=UTC))
    assert start < end


money_text = st.one_of(
    st.text(max_size=15),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.integers().map(str),
    st.decimals(allow_nan=True).map(str),
)


@SETTINGS
@given(
    st.fixed_dictionaries(
        {
            "alias": st.one_of(st.none(), st.text(max_size=20)),
            "max_budget": money_text,
            "soft_budget": money_text,
            "budget_duration": st.text(max_size=6),
            "tags": st.text(max_size=30),
            "tpm_limit": st.text(max_size=8),
            "metadata": st.text(max_size=30),
            "duration": st.text(max_size=6),
        }
    )
)
def test_key_specs_validate_or_say_which_field(values) -> None:
    try:
        spec = parse_spec(values)
    except SpecError as exc:
        assert exc.errors and all(k in values or k == "alias" for k in exc.errors)
        return
    if spec.max_budget is not None:
        assert spec.max_budget >= 0 and spec.max_budget.is_finite()
    if spec.soft_budget is not None and spec.max_budget is not None:
        assert spec.soft_budget <= spec.max_budget


@SETTINGS
@given(
    st.one_of(
        st.text(max_size=60),
        st.none(),
        st.binary(max_size=20),
        st.lists(st.one_of(st.text(max_size=10), st.integers(), st.none()), max_size=5),
    )
)
def test_tags_never_crash(raw) -> None:
    tags, readable = parse_tags(raw)
    assert all(isinstance(t, str) and t == t.strip() and t for t in tags)
    assert list(tags) == sorted(set(tags))
    assert isinstance(readable, bool)


spends = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**20), 10**20),
    st.text(max_size=5),
    st.decimals(allow_nan=True),
)
NAIVE_MIN, NAIVE_MAX = datetime(1971, 1, 1), datetime(2100, 1, 1)  # noqa: DTZ001
stamps = st.one_of(
    st.none(),
    st.text(max_size=30),
    st.integers(-(10**12), 10**12),
    st.datetimes(min_value=NAIVE_MIN, max_value=NAIVE_MAX).map(str),  # naive, as LiteLLM stores them
)
strings = st.one_of(st.none(), st.text(max_size=12))


@SETTINGS
@given(st.lists(st.tuples(spends, stamps, strings, strings, st.one_of(st.none(), st.text(max_size=20))), max_size=40))
def test_cube_counts_or_skips_every_row(rows) -> None:
    cube = Cube()
    raw = [
        RawRow(str(i), start, model, None, key, None, None, None, tags, to_pico(spend), 1, 2, 3, False, False)
        for i, (spend, start, model, key, tags) in enumerate(rows)
    ]
    added = cube.add_rows(raw)
    usable = [r for r in raw if r.spend is not None and parse_timestamp(r.start) is not None]
    assert added == len(usable)
    assert cube.quality.bad_spend + cube.quality.bad_time == len(raw) - len(usable)
    totals = Query(cube).totals(None)
    assert totals.requests == len(usable)
    assert totals.spend == sum(r.spend for r in usable)  # type: ignore[misc]
    for dim in ("model", "key", "tag", "customer"):
        assert sum(g.totals.requests for g in Query(cube).breakdown(dim, None)) >= totals.requests * (dim != "tag")


@SETTINGS
@given(st.floats(allow_nan=True, allow_infinity=True))
def test_to_pico_is_exact_or_none(value) -> None:
    pico = to_pico(value)
    if pico is None:
        assert not math.isfinite(value) or value < 0 or value > 1_000_000
    else:
        assert abs(pico / 1e12 - value) <= max(1e-12, abs(value) * 1e-15)


@SETTINGS
@given(st.text(max_size=40))
def test_hostile_filter_values_are_data_not_sql(value) -> None:
    cube = Cube()
    cube.add_rows(
        [
            RawRow(
                "a",
                "2026-11-20 10:00:00",
                "m'; DROP TABLE x; --",
                None,
                value,
                None,
                None,
                None,
                '["p:1"]',
                10**12,
                1,
                1,
                2,
                False,
                False,
            )
        ]
    )
    q = Query(cube)
    assert q.totals(None, Filters(key=frozenset({value}))).requests == 1
    if value != "m'; DROP TABLE x; --":
        assert q.totals(None, Filters(model=frozenset({value}))).requests == 0


cli_words = st.sampled_from(
    [
        "report",
        "models",
        "tags",
        "keys",
        "user",
        "--start",
        "--end",
        "--format",
        "json",
        "csv",
        "--tag-prefix",
        "--db",
        "2026-01-01",
        "2026-99-99",
        "x",
        "--",
        "-h2",
        "demo-db",
        "--rows",
        "-5",
        "check",
        "--profile",
        "nope",
        "create",
        "--max-budget",
        "NaN",
    ]
)


@SETTINGS
@given(st.lists(cli_words, max_size=6))
def test_cli_arguments_exit_with_a_code_not_a_traceback(tmp_path_factory, words) -> None:
    workdir = tmp_path_factory.mktemp("cli")
    argv = [w if w != "x" else str(Path(workdir) / "none.db") for w in words]
    if "demo-db" in argv:
        return  # writes files; covered elsewhere
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv) if argv and argv[0] != "--" else main(["report", "spend", "--db", str(workdir / "n.db")])
        except SystemExit as exc:  # argparse usage errors and --help
            code = exc.code if isinstance(exc.code, int) else 2
    assert code in (0, 1, 2, 3)
    assert "Traceback" not in err.getvalue()
