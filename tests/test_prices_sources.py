"""Price readers of the sources: the database's ``"LiteLLM_ProxyModelTable"`` (a real SQLite
file and, marked ``postgres``, LiteLLM 1.108.7's real schema on PostgreSQL) and the proxy's
``/model/info`` answer (a recorded shape; the real peer is in ``test_prices_peer.py``)."""

from __future__ import annotations

import json
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from spendtui.core.price_files import bundled_prices
from spendtui.core.prices import layered
from spendtui.core.repricing import Usage, expected_pico
from spendtui.errors import SourceDataError
from spendtui.sources.db.prices import read_db_prices
from spendtui.sources.db.schema import reflect
from spendtui.sources.db.sql import Dialect
from spendtui.sources.proxy.prices import prices_from_model_info
from tests.helpers import create_pg_database, load_real_schema

D = Decimal
#: Rows as LiteLLM writes them: text values of litellm_params encrypted (here: opaque
#: strings), numbers in the clear; model_info as written by model_dump_json.
ROWS = [
    (
        "m-1",
        "team-fast",
        {"model": "Zm9vYmFyZW5jcnlwdGVk", "api_key": "ZW5jcnlwdGVk", "input_cost_per_token": 1.234e-06},
        {"id": "m-1", "base_model": "gpt-4o-mini", "output_cost_per_token": 5.678e-06, "db_model": True},
    ),
    ("m-2", "text-priced", {"model": "b3BhcXVl", "output_cost_per_token": "c2VjcmV0"}, {"id": "m-2"}),
    ("m-3", "broken-json", {"model": "eA"}, None),
]


def _cost_check(prices_map: object) -> None:
    from spendtui.core.prices import PriceMap

    assert isinstance(prices_map, PriceMap)
    both = layered([prices_map, bundled_prices()])
    hit = both.lookup("", "openai", "team-fast")
    assert hit is not None and hit.source == "database LiteLLM_ProxyModelTable"
    # custom input (litellm_params) and output (model_info) prices; cache read from the
    # public gpt-4o-mini entry the deployment is based on ($0.075/M)
    assert hit.price.input_cost_per_token == D("0.000001234")
    assert hit.price.output_cost_per_token == D("0.000005678")
    assert hit.price.cache_read_input_token_cost == D("7.5e-08")
    expected = 600 * D("0.000001234") + 400 * D("7.5e-08") + 50 * D("0.000005678")
    assert expected_pico(hit.price, Usage(1000, 50, 400)) == int(expected * 10**12)
    assert prices_map.groups == {"team-fast": "gpt-4o-mini"}
    assert any("'text-priced' sets output_cost_per_token as text" in n for n in prices_map.notes)


def _sqlite(path: Path, with_models: bool = True) -> str:
    conn = sqlite3.connect(path)
    conn.execute('CREATE TABLE "LiteLLM_SpendLogs" (request_id TEXT, "startTime" TEXT, spend REAL, model_group TEXT)')
    if with_models:
        conn.execute(
            'CREATE TABLE "LiteLLM_ProxyModelTable" (model_id TEXT PRIMARY KEY, model_name TEXT NOT NULL, '
            "litellm_params TEXT NOT NULL, model_info TEXT, created_at TEXT)"
        )
        for n, (model_id, name, params, info) in enumerate(ROWS):
            info_text = "{not json" if name == "broken-json" else json.dumps(info)
            conn.execute(
                'INSERT INTO "LiteLLM_ProxyModelTable" VALUES (?, ?, ?, ?, ?)',
                (model_id, name, json.dumps(params), info_text, f"2026-11-0{n + 1}"),
            )
    conn.commit()
    conn.close()
    return f"sqlite:///{path}"


def test_db_prices_sqlite(tmp_path: Path) -> None:
    engine = create_engine(_sqlite(tmp_path / "litellm.db"))
    with engine.connect() as conn:
        prices = read_db_prices(conn, reflect(conn), Dialect("sqlite"))
    _cost_check(prices)
    assert any("'broken-json' model_info" in n and "not valid JSON" in n for n in prices.notes)


def test_db_without_the_table_is_a_note(tmp_path: Path) -> None:
    engine = create_engine(_sqlite(tmp_path / "old.db", with_models=False))
    with engine.connect() as conn:
        prices = read_db_prices(conn, reflect(conn), Dialect("sqlite"))
    assert len(prices) == 0 and not prices.deployments
    assert prices.notes == ("this database has no LiteLLM_ProxyModelTable table: no prices from the database",)


def test_db_bad_price_names_the_model(tmp_path: Path) -> None:
    url = _sqlite(tmp_path / "bad.db")
    conn = sqlite3.connect(tmp_path / "bad.db")
    conn.execute(
        """INSERT INTO "LiteLLM_ProxyModelTable" VALUES ('m-9', 'minus', '{}', '{"input_cost_per_token": -1}', 'x')"""
    )
    conn.commit()
    conn.close()
    with create_engine(url).connect() as c, pytest.raises(SourceDataError, match=r"model 'minus'.*negative"):
        read_db_prices(c, reflect(c), Dialect("sqlite"))


@pytest.mark.postgres
def test_db_prices_postgres() -> None:
    url = create_pg_database("spendtui_test_prices")
    load_real_schema(url)
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        for model_id, name, params, info in ROWS:
            conn.execute(
                text(
                    'INSERT INTO "LiteLLM_ProxyModelTable" (model_id, model_name, litellm_params, model_info, '
                    "created_by, updated_by) "
                    "VALUES (:id, :name, CAST(:params AS jsonb), CAST(:info AS jsonb), 'x', 'x')"
                ),
                {"id": model_id, "name": name, "params": json.dumps(params), "info": json.dumps(info)},
            )
    with engine.connect() as conn:
        prices = read_db_prices(conn, reflect(conn), Dialect("postgresql"))
    engine.dispose()
    _cost_check(prices)


MODEL_INFO_ANSWER = {
    "data": [
        {
            "model_name": "gpt-4o",
            "litellm_params": {"model": "openai/gpt-4o", "mock_response": "hi"},
            "model_info": {
                "id": "abc",
                "key": "gpt-4o",
                "litellm_provider": "openai",
                "mode": "chat",
                "input_cost_per_token": 2.5e-06,
                "output_cost_per_token": 1e-05,
                "cache_read_input_token_cost": 1.25e-06,
                "cache_creation_input_token_cost": None,
                "input_cost_per_token_above_200k_tokens": None,
                "input_cost_per_token_priority": 4.25e-06,
            },
        },
        {
            "model_name": "cheap",
            "litellm_params": {"model": "openai/gpt-4o-mini", "input_cost_per_token": "1e-7"},
            "model_info": {
                "input_cost_per_token": 1.5e-07,
                "output_cost_per_token": 6e-07,
                "litellm_provider": "openai",
            },
        },
        {
            "model_name": "cheap",
            "litellm_params": {"model": "openai/gpt-4o-mini"},
            "model_info": {"output_cost_per_token": 1},
        },
    ]
}


def test_proxy_model_info_shape() -> None:
    prices = prices_from_model_info(MODEL_INFO_ANSWER)
    assert prices.source == "proxy /model/info" and prices.groups == {
        "gpt-4o": "openai/gpt-4o",
        "cheap": "openai/gpt-4o-mini",
    }
    gpt = prices.lookup("openai/gpt-4o", "openai", "gpt-4o")
    assert gpt is not None and gpt.price.cache_read_input_token_cost == D("0.00000125")
    cheap = prices.lookup("openai/gpt-4o-mini", "openai", "cheap")
    assert cheap is not None and cheap.price.input_cost_per_token == D("1e-7")  # litellm_params wins
    assert any("'cheap' has deployments at different prices" in n for n in prices.notes)
    with pytest.raises(SourceDataError, match="expected"):
        prices_from_model_info([1, 2])
    bad = {"data": [{"model_name": "x", "litellm_params": {}, "model_info": {"input_cost_per_token": "NaN"}}]}
    with pytest.raises(SourceDataError, match=r"model 'x': input_cost_per_token is NaN, not a finite number"):
        prices_from_model_info(bad)
