"""Exact money: integer pico-dollars (1e-12 USD) in, Decimal out.

LiteLLM stores each request's cost as a double. Per-token prices are multiples of
1e-12 USD in practice (e.g. $0.0375 per 1M tokens is 37,500 pico-dollars per token),
so rounding each stored double once to the nearest pico-dollar keeps it exact, and
every sum after that is integer arithmetic: no float drift however many rows are added.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_EVEN, Decimal

PICO = 10**12
#: A single request above this is treated as corrupt data, not as spend.
MAX_REQUEST_USD = 1_000_000
_MAX_PICO = MAX_REQUEST_USD * PICO
_MICRO = Decimal("0.000001")
_CENT = Decimal("0.01")
_MICRO_PICO = PICO // 1_000_000


def to_pico(value: object) -> int | None:
    """Convert one stored spend value to pico-dollars; None if it is not usable money.

    Unusable: NULL, NaN, infinities, negative amounts, non-numbers and amounts above
    ``MAX_REQUEST_USD`` for one request. Callers count such rows instead of adding them.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        if abs(value) > MAX_REQUEST_USD:
            return None
        pico = value * PICO
    elif isinstance(value, float):
        if not math.isfinite(value) or abs(value) > MAX_REQUEST_USD:
            return None
        pico = round(value * PICO)
    elif isinstance(value, Decimal):
        if not value.is_finite() or abs(value) > MAX_REQUEST_USD:
            return None
        pico = int((value * PICO).to_integral_value(ROUND_HALF_EVEN))
    elif isinstance(value, str):
        try:
            parsed = float(value)
        except ValueError:
            return None
        return to_pico(parsed)
    else:
        return None
    if pico < 0 or pico > _MAX_PICO:
        return None
    return pico


def usd_to_pico(amount: Decimal | int | float | str) -> int:
    """Convert a user-given USD amount (budget, threshold) to pico-dollars exactly."""
    dec = Decimal(str(amount)) if not isinstance(amount, Decimal) else amount
    return int((dec * PICO).to_integral_value(ROUND_HALF_EVEN))


def to_decimal(pico: int) -> Decimal:
    """Pico-dollars as an exact Decimal number of USD."""
    return Decimal(pico) / PICO


def to_micro_decimal(pico: int) -> Decimal:
    """Pico-dollars as USD rounded (half-even) to 6 decimals, for JSON and CSV."""
    return (Decimal(pico) / PICO).quantize(_MICRO, rounding=ROUND_HALF_EVEN)


def format_usd(pico: int, places: int = 2, sign: bool = False) -> str:
    """Human form: ``$1,234.57``; more places for small amounts when asked."""
    quantum = Decimal(1).scaleb(-places)
    value = (Decimal(pico) / PICO).quantize(quantum, rounding=ROUND_HALF_EVEN)
    text = f"{abs(value):,.{places}f}"
    if value < 0:
        return f"-${text}"
    return f"+${text}" if sign else f"${text}"


def format_usd_auto(pico: int) -> str:
    """The one way spendtui writes an amount for people (dashboard, ``check``, key lists,
    report tables, alerts):

    * zero and amounts of ten cents or more: cents, ``$0.00``, ``$1,234.57``;
    * smaller amounts: two significant digits, so a tiny spend is never ``$0.00`` nor a
      row of zeros, and no trailing zeros past the cents: ``$0.024``, ``$0.01``,
      ``$0.0031``, ``$0.00042``;
    * below a millionth of a dollar: ``<$0.000001`` (CSV and JSON carry the exact value).
    """
    if pico == 0 or abs(pico) >= 10 * PICO // 100:
        return format_usd(pico, 2)
    if abs(pico) < _MICRO_PICO:
        return "<$0.000001" if pico > 0 else ">-$0.000001"
    digits = len(str(abs(pico)))  # the value has (12 - digits) zeros after the point
    places = min(6, max(2, 12 - digits + 2))
    text = format_usd(pico, places)
    whole, _, fraction = text.partition(".")
    return f"{whole}.{fraction.rstrip('0').ljust(2, '0')}"


def used_percent(spend: int, limit: int, places: int = 0) -> str:
    """``79%``: spend as a percentage of a positive limit, rounded **down** (exactly, in
    integers), so a rounded figure never contradicts the state beside it: 79.7 % of a
    budget with an 80 % warning shows ``79%``, and 99.96 % is not ``100%`` while still
    under the limit."""
    scale = 10**places
    floored = (spend * 100 * scale) // limit
    if places == 0:
        return f"{floored}%"
    return f"{floored // scale}.{floored % scale:0{places}d}%"


def cents(pico: int) -> Decimal:
    """Pico-dollars rounded to the cent (what the dashboard shows)."""
    return (Decimal(pico) / PICO).quantize(_CENT, rounding=ROUND_HALF_EVEN)
