"""Reading prices: entries in LiteLLM's ``model_prices_and_context_window.json`` shape from a
file (``--prices FILE``, profile ``prices:``), from any JSON object (the proxy and database
readers hand theirs here), and the LiteLLM snapshot bundled as package data.

Numbers are read exactly (``parse_float=Decimal``). A price that is negative, not a number
(a word, ``true``, a list), NaN or infinite is refused with a ``PriceError`` naming the
file and the model key; a string holding a number (``"3e-7"``, as LiteLLM accepts from a
``config.yaml``) is read as that number. ``null`` means not set. Fields spendtui does not
use are ignored, and so are LiteLLM's ``sample_spec`` (documentation) and
``fallback_generalizations`` (name rules) keys. No network, ever.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path

from spendtui.core.prices import RATE_FIELDS, THRESHOLD_KEY, ModelPrice, PriceMap, RangeTier, ThresholdRate, layered
from spendtui.errors import ConfigError

#: The bundled snapshot: package data beside this module.
BUNDLED_PACKAGE = "spendtui.core.data"
BUNDLED_FILE = "litellm_prices.json"
#: The snapshot file's own header entry (provenance), skipped like ``sample_spec``.
META_KEY = "_spendtui_snapshot"
_SKIPPED = frozenset({"sample_spec", "fallback_generalizations", META_KEY})
_TIER_RATES = (
    "input_cost_per_token",
    "output_cost_per_token",
    "cache_read_input_token_cost",
    "cache_creation_input_token_cost",
    "output_cost_per_reasoning_token",
)


class PriceError(ConfigError):
    """A price source that cannot be used, with the place and the model named."""


def _amount(value: object, where: str, name: str) -> Decimal | None:
    """A price field as an exact, finite, non-negative Decimal; None when not set."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal, str)):
        raise PriceError(f"{where}: {name} is {json.dumps(value, default=str)[:40]}, not a number")
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        raise PriceError(f"{where}: {name} is {value!r}, not a number") from None
    if not amount.is_finite():
        raise PriceError(f"{where}: {name} is {amount}, not a finite number")
    if amount < 0:
        raise PriceError(f"{where}: {name} is negative ({amount})")
    return amount


def _text(value: object, where: str, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise PriceError(f"{where}: {name} is {json.dumps(value, default=str)[:40]}, not a text")
    return value


def _tiers(value: object, where: str) -> tuple[RangeTier, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise PriceError(f"{where}: tiered_pricing is not a list")
    tiers = []
    for n, tier in enumerate(value):
        at = f"{where}: tiered_pricing[{n}]"
        if not isinstance(tier, Mapping):
            raise PriceError(f"{at} is not an object")
        if "range" not in tier:
            continue  # not a token tier (search tiers have "max_results_range"): not spendtui's
        bounds = tier.get("range")
        if not isinstance(bounds, list) or len(bounds) != 2:
            raise PriceError(f"{at}: range is not [start, end]")
        start, end = (_amount(b, at, "range") for b in bounds)
        if start is None or end is None:
            raise PriceError(f"{at}: range is not [start, end]")
        rates = {name: _amount(tier.get(name), at, name) for name in _TIER_RATES}
        tiers.append(RangeTier(start, end, **rates))
    return tuple(sorted(tiers, key=lambda t: t.start))


def parse_entry(key: str, raw: object, where: str) -> ModelPrice:
    """One model's entry; ``where`` names the source (the file) in messages."""
    at = f"{where}: model {key!r}"
    if not isinstance(raw, Mapping):
        raise PriceError(f"{at}: the entry is not an object")
    rates = {name: _amount(raw.get(name), at, name) for name in RATE_FIELDS}
    thresholds = []
    for name, value in raw.items():
        m = THRESHOLD_KEY.match(str(name))
        if m is None:
            continue
        amount = _amount(value, at, str(name))
        if amount is not None:
            above = Decimal(m.group(2)) * (1000 if m.group(3) else 1)
            thresholds.append(ThresholdRate(m.group(1), int(above), amount))
    return ModelPrice(
        key=key,
        litellm_provider=_text(raw.get("litellm_provider"), at, "litellm_provider"),
        mode=_text(raw.get("mode"), at, "mode"),
        thresholds=tuple(sorted(thresholds, key=lambda t: (t.above, t.rate))),
        tiers=_tiers(raw.get("tiered_pricing"), at),
        **rates,
    )


def parse_entries(data: object, where: str) -> dict[str, ModelPrice]:
    """Every entry of a price map object (``{"<model key>": {...}, ...}``)."""
    if not isinstance(data, Mapping):
        raise PriceError(f"{where}: expected a JSON object of model entries, got {type(data).__name__}")
    return {str(k): parse_entry(str(k), v, where) for k, v in data.items() if k not in _SKIPPED}


def loads_exact(text: str, where: str) -> object:
    """JSON with every number exact (Decimal), NaN and Infinity kept for the checks to refuse."""
    try:
        return json.loads(text, parse_float=Decimal, parse_int=Decimal, parse_constant=Decimal)
    except json.JSONDecodeError as exc:
        raise PriceError(f"{where}: not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None


def read_price_file(path: str | Path) -> PriceMap:
    """A price file in LiteLLM's format (``--prices FILE``)."""
    p = Path(path).expanduser()
    where = str(p)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise PriceError(f"{where}: cannot read the price file ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise PriceError(f"{where}: not a UTF-8 text file") from None
    data = loads_exact(text, where)
    entries = parse_entries(data, where)
    if not entries:
        raise PriceError(f"{where}: the price file has no model entries")
    meta = data.get(META_KEY) if isinstance(data, Mapping) else None
    date = meta.get("date") if isinstance(meta, Mapping) and isinstance(meta.get("date"), str) else None
    return PriceMap(entries, source=f"file {where}", date=date)


def bundled_prices() -> PriceMap:
    """The LiteLLM price map snapshot shipped inside spendtui (see its ``_spendtui_snapshot``
    header for the LiteLLM version and date it was taken from)."""
    where = f"bundled snapshot {BUNDLED_FILE}"
    text = resources.files(BUNDLED_PACKAGE).joinpath(BUNDLED_FILE).read_text(encoding="utf-8")
    data = loads_exact(text, where)
    assert isinstance(data, Mapping)
    meta = data.get(META_KEY)
    assert isinstance(meta, Mapping), f"{where} has no {META_KEY} header"
    source = f"bundled LiteLLM {meta.get('litellm_version')} snapshot"
    return PriceMap(parse_entries(data, where), source=source, date=str(meta.get("date")))


def deployment_price(
    model_name: str, litellm_params: object, model_info: object, where: str, encrypted: bool = False
) -> tuple[ModelPrice, str | None, list[str]]:
    """One proxy deployment's price, the model it routes to, and notes.

    The price is ``model_info``'s fields with the custom prices of ``litellm_params`` laid
    over them (LiteLLM bills a deployment at the prices its ``litellm_params`` set). The
    underlying model is ``model_info.base_model`` (what LiteLLM prices an Azure deployment
    by), else ``litellm_params.model``. ``encrypted``: the database keeps every text value
    of ``litellm_params`` encrypted with the proxy's salt key, so only its numbers are read
    there, and a price written as text is reported in a note instead."""
    params = litellm_params if isinstance(litellm_params, Mapping) else {}
    info = model_info if isinstance(model_info, Mapping) else {}
    raw: dict[str, object] = {k: v for k, v in info.items() if v is not None}
    notes: list[str] = []
    for name, value in params.items():
        if value is None or not (name in RATE_FIELDS or THRESHOLD_KEY.match(str(name))):
            continue
        if encrypted and isinstance(value, str):
            notes.append(f"{where}: {model_name!r} sets {name} as text, stored encrypted: not read")
            continue
        raw[str(name)] = value
    base = info.get("base_model")
    routed = params.get("model") if not encrypted else None
    underlying = next((m for m in (base, routed) if isinstance(m, str) and m), None)
    return parse_entry(model_name, raw, where), underlying, notes


def price_sources(path: str | None, stored: Callable[[], PriceMap] | None) -> PriceMap:
    """The prices an audit uses, first found wins per field: the price file ``path``
    (``--prices``, the profile's ``prices:``), the source's own (``stored``: the proxy's
    deployment prices), the bundled snapshot."""
    given = read_price_file(path) if path else None
    own = stored() if stored is not None else None
    return layered(m for m in (given, own, bundled_prices()) if m is not None)


class Deployments:
    """A proxy's deployment prices collected one deployment at a time (``/model/info``
    entries, ``LiteLLM_ProxyModelTable`` rows): the first deployment of a public name
    gives its price, and a later one at another price is said in a note."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.prices: dict[str, ModelPrice] = {}
        self.groups: dict[str, str] = {}
        self.notes: list[str] = []

    def add(self, name: str, params: object, info: object, encrypted: bool = False) -> None:
        """One deployment; ``PriceError`` names it when its prices are unusable."""
        price, underlying, more = deployment_price(name, params, info, self.where, encrypted=encrypted)
        self.notes += more
        if name in self.prices:
            if self.prices[name] != price:
                self.notes.append(
                    f"{self.where}: {name!r} has deployments at different prices; the first one's is used"
                )
            return
        self.prices[name] = price
        if underlying:
            self.groups[name] = underlying

    def price_map(self, source: str) -> PriceMap:
        return PriceMap({}, source=source, deployments=self.prices, groups=self.groups, notes=tuple(self.notes))
