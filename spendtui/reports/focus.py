"""``spendtui report focus``: spend as a FOCUS 1.2 dataset (FinOps Open Cost and Usage
Specification, Cost and Usage), CSV, for FinOps tools.

One row per charge period (a UTC day or hour) x service (the model) x provider x resource
(the key) x sub account (the team) x tag set (``core.focus``). The columns are every column
FOCUS 1.2 makes mandatory, the conditional ones LiteLLM's data has (consumed quantity,
resource, sub account, tags) and the recommended ChargeFrequency and ServiceSubcategory,
in alphabetical order, then spendtui's own (``x_``-prefixed, as the spec asks). Nulls are
empty cells. Money is USD with every pico-dollar written (up to 12 decimals), so the rows
add up exactly to what LiteLLM logged.

Tags: a request's ``category:value`` tags become ``{"category": "value"}``; a tag without
a category becomes ``{"tag": true}`` (FOCUS's valueless tag). A category with two values or
more on one request (``project:a`` and ``project:b``), or also present without a value,
keeps every tag as a valueless key (``{"project:a": true, "project:b": true}``): JSON keys
are unique, FOCUS forbids altering a value, and no value is preferred over another.
Untagged requests: an empty Tags cell (null).

Files (``--output``) are written whole (to a temporary file, then renamed) and replace only
an empty file or a FOCUS export spendtui wrote (its first line is this header).
"""

from __future__ import annotations

import csv
import functools
import io
import json
import os
import re
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from spendtui.core.dims import tag_category, tag_value
from spendtui.core.focus import FocusGroups, FocusKey
from spendtui.core.names import Names
from spendtui.errors import UsageError
from spendtui.money import PICO

FOCUS_VERSION = "1.2"
#: FOCUS columns, alphabetical, then spendtui's (``x_``).
COLUMNS = (
    "BilledCost",
    "BillingAccountId",
    "BillingAccountName",
    "BillingCurrency",
    "BillingPeriodEnd",
    "BillingPeriodStart",
    "ChargeCategory",
    "ChargeClass",
    "ChargeDescription",
    "ChargeFrequency",
    "ChargePeriodEnd",
    "ChargePeriodStart",
    "ConsumedQuantity",
    "ConsumedUnit",
    "ContractedCost",
    "EffectiveCost",
    "InvoiceIssuerName",
    "ListCost",
    "PricingQuantity",
    "PricingUnit",
    "ProviderName",
    "PublisherName",
    "ResourceId",
    "ResourceName",
    "ResourceType",
    "ServiceCategory",
    "ServiceName",
    "ServiceSubcategory",
    "SubAccountId",
    "SubAccountName",
    "Tags",
    "x_Requests",
    "x_PromptTokens",
    "x_CompletionTokens",
    "x_CacheReadTokens",
    "x_CacheCreationTokens",
    "x_UnpricedRequests",
)
HEADER = ",".join(COLUMNS)
#: Where a log row names no model or provider (both columns must not be null).
NO_MODEL = "(none)"
NO_PROVIDER = "LiteLLM"
RESOURCE_TYPE = "LiteLLM Virtual Key"
TOKENS = "Tokens"


def usd(pico: int) -> str:
    """Exact USD of a pico-dollar amount: no exponent, no trailing zeros (``0.0012``, ``3``)."""
    sign = "-" if pico < 0 else ""
    whole, frac = divmod(abs(pico), PICO)
    return sign + f"{whole}.{frac:012d}".rstrip("0").rstrip(".")


def _moment(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


@functools.lru_cache(maxsize=4096)
def _period_cells(text: str) -> tuple[str, str, str, str]:
    """Charge period start and end, billing period start and end, of a bucket."""
    start, end = _period(text)
    month_start, month_end = _month(start)
    return _moment(start), _moment(end), _moment(month_start), _moment(month_end)


def _period(text: str) -> tuple[datetime, datetime]:
    """A bucket (``YYYY-MM-DD`` or ``YYYY-MM-DD HH``) as its start and exclusive end."""
    if len(text) == 13:
        start = datetime.strptime(text, "%Y-%m-%d %H").replace(tzinfo=UTC)
        return start, start + timedelta(hours=1)
    start = datetime.strptime(text[:10], "%Y-%m-%d").replace(tzinfo=UTC)
    return start, start + timedelta(days=1)


def _month(at: datetime) -> tuple[datetime, datetime]:
    start = at.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)
    return start, end


@functools.lru_cache(maxsize=65536)
def focus_tags(tags: tuple[str, ...]) -> str:
    """The Tags cell of a tag set (see the module's rule); '' for none."""
    by_key: dict[str, list[str | None]] = {}
    for tag in tags:
        category = tag_category(tag)
        value = tag_value(tag) if category is not None else None
        by_key.setdefault(category if category is not None else tag, []).append(value or None)
    out: dict[str, str | bool] = {}
    for key, values in by_key.items():
        if len(values) == 1:
            only = values[0]
            out[key] = True if only is None else only
            continue
        for value in values:
            out[key if value is None else f"{key}:{value}"] = True
    return json.dumps(out, ensure_ascii=False, sort_keys=True, separators=(",", ":")) if out else ""


def billing_account(display: str) -> str:
    """The source as spendtui shows it, without user info or query: the default
    BillingAccountId (``postgresql://db-host:5432/litellm``)."""
    return re.sub(r"//[^/@]*@", "//", display.split("?", 1)[0])


def render_focus_csv(groups: FocusGroups, names: Names, account: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for key, sums in groups.rows():
        writer.writerow(_row(key, sums, names, account))
    return out.getvalue()


def _row(k: FocusKey, s: dict[str, int], names: Names, account: str) -> list[object]:
    start, end, month_start, month_end = _period_cells(k.period)
    model = k.model or NO_MODEL
    provider = k.provider or NO_PROVIDER
    billed, listed = usd(s["billed"]), usd(s["listed"])
    tokens = s["prompt"] + s["completion"]
    row = {
        "BilledCost": billed,
        "BillingAccountId": account,
        "BillingAccountName": account,
        "BillingCurrency": "USD",
        "BillingPeriodEnd": month_end,
        "BillingPeriodStart": month_start,
        "ChargeCategory": "Usage",
        "ChargeClass": "",
        "ChargeDescription": f"{model} tokens through LiteLLM" + (f" ({k.provider})" if k.provider else ""),
        "ChargeFrequency": "Usage-Based",
        "ChargePeriodEnd": end,
        "ChargePeriodStart": start,
        "ConsumedQuantity": tokens,
        "ConsumedUnit": TOKENS,
        "ContractedCost": billed,
        "EffectiveCost": billed,
        "InvoiceIssuerName": provider,
        "ListCost": listed,
        "PricingQuantity": tokens,
        "PricingUnit": TOKENS,
        "ProviderName": provider,
        "PublisherName": provider,
        "ResourceId": k.key,
        "ResourceName": names.key_alias.get(k.key, "") if k.key else "",
        "ResourceType": RESOURCE_TYPE if k.key else "",
        "ServiceCategory": "AI and Machine Learning",
        "ServiceName": model,
        "ServiceSubcategory": "Generative AI",
        "SubAccountId": k.team,
        "SubAccountName": (names.team_alias.get(k.team) or k.team) if k.team else "",
        "Tags": focus_tags(k.tags),
        "x_Requests": s["requests"],
        "x_PromptTokens": s["prompt"],
        "x_CompletionTokens": s["completion"],
        "x_CacheReadTokens": s["cache_read"],
        "x_CacheCreationTokens": s["cache_creation"],
        "x_UnpricedRequests": s["unpriced"],
    }
    return [row[c] for c in COLUMNS]


def focus_notes(groups: FocusGroups) -> list[str]:
    """What a reader of the export should know (printed on stderr)."""
    notes = []
    total = groups.total()
    if groups.unpriced_models:
        notes.append(
            f"{total['unpriced']:,} requests of models without a price ({', '.join(sorted(groups.unpriced_models))}): "
            f"their ListCost is their BilledCost ({usd(total['unpriced_billed'])} USD); add prices with --prices FILE"
        )
    if groups.unreadable:
        notes.append(f"{groups.unreadable:,} requests with a spend that is not usable money: not exported")
    return notes


# ------------------------------------------------------------------ the output file
def check_writable(path: str) -> None:
    """UsageError unless ``path`` may be written: absent, empty, or a FOCUS export
    spendtui wrote (its first line is ``HEADER``). Checked before anything is read."""
    target = Path(path)
    refuse = "refusing to replace it (delete it yourself if you mean it, or choose another path)"
    if target.is_dir():
        raise UsageError(f"--output {path} is a directory: give a file path for the FOCUS export")
    if not target.parent.is_dir():
        raise UsageError(f"--output {path}: the directory {target.parent} does not exist")
    if not target.exists():
        return
    try:
        with target.open("rb") as f:
            head = f.read(len(HEADER) + 2)
    except OSError as exc:
        raise UsageError(
            f"--output {path}: cannot read it to check that it is a FOCUS export spendtui wrote "
            f"({exc.strerror or exc}): {refuse}"
        ) from None
    if not head or head.splitlines()[0] == HEADER.encode():
        return
    raise UsageError(f"--output {path} exists and is not a FOCUS export spendtui wrote: {refuse}")


def write_export(path: str, text: str) -> None:
    """``text`` to ``path`` whole: a temporary file beside it, then renamed over it."""
    check_writable(path)
    target = Path(path)
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
                f.write(text)
            os.chmod(temp, 0o666 & ~_umask())  # (mkstemp's file is private: as any new file)
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise UsageError(f"--output {path}: cannot write it ({exc.strerror or exc})") from None


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
