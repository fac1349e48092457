"""Prices from the database: ``"LiteLLM_ProxyModelTable"``, the models added through the
proxy's API (``STORE_MODEL_IN_DB``), each with ``model_name``, ``litellm_params`` and
``model_info`` (JSON; ``jsonb`` on PostgreSQL, text on SQLite).

Each row is a deployment priced as ``core.price_files.deployment_price`` says: its
``model_info`` prices with ``litellm_params``' custom prices over them. LiteLLM stores
every *text* value of ``litellm_params`` encrypted with the proxy's salt key, so only its
numbers are read, and the deployment's underlying model comes from ``model_info.base_model``
only. JSON is read as text and parsed here, so prices stay exact on both databases.

A database without the table (or its ``model_name``/``model_info`` columns) gives an
empty map with a note, not an error. A price that is not a usable number is a
``SourceDataError`` naming the model. Models defined in the proxy's config file are not in
the database: the proxy source (``/model/info``) has those.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

from spendtui.core.price_files import Deployments, PriceError, loads_exact
from spendtui.core.prices import PriceMap
from spendtui.errors import SourceDataError
from spendtui.sources.db.schema import PROXY_MODELS, SpendSchema
from spendtui.sources.db.sql import Dialect

SOURCE = f"database {PROXY_MODELS}"


def _json(value: object, where: str, notes: list[str]) -> object:
    """A JSON column's value (read as text); None, with a note, when it is not JSON."""
    if value is None or isinstance(value, dict):
        return value
    if isinstance(value, (bytes, bytearray)):
        value = value.decode("utf-8", errors="replace")
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return loads_exact(value, where)
    except PriceError as exc:
        notes.append(f"{exc}: its prices are not read")
        return None


def read_db_prices(conn: Connection, schema: SpendSchema, d: Dialect) -> PriceMap:
    """The deployment prices stored in the database (empty, with a note, when it has none)."""
    table = schema.proxy_models
    if table is None or not table.has("model_name", "model_info"):
        what = f"no {PROXY_MODELS} table" if table is None else f"{table.name} lacks model_name or model_info"
        return PriceMap({}, source=SOURCE, notes=(f"this database has {what}: no prices from the database",))
    cols = ["model_name", "model_info", *(["litellm_params"] if "litellm_params" in table.columns else [])]
    name = (d.q(table.schema) + "." if table.schema else "") + d.q(table.name)
    order = " ORDER BY " + d.q("created_at") if "created_at" in table.columns else ""
    selected = ", ".join(d.text(d.q(c)) if c != "model_name" else d.q(c) for c in cols)
    rows = conn.execute(text(f"SELECT {selected} FROM {name}{order}")).fetchall()  # noqa: S608
    conn.rollback()
    found = Deployments(SOURCE)
    for row in rows:
        model_name = row[0]
        if not isinstance(model_name, str) or not model_name:
            continue
        info = _json(row[1], f"{SOURCE}: {model_name!r} model_info", found.notes)
        params = _json(row[2], f"{SOURCE}: {model_name!r} litellm_params", found.notes) if len(row) > 2 else None
        try:
            found.add(model_name, params, info, encrypted=True)
        except PriceError as exc:
            raise SourceDataError(str(exc)) from None
    return found.price_map(SOURCE)
