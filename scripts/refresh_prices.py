"""Regenerate spendtui's bundled price snapshot from a LiteLLM price map file.

    python scripts/refresh_prices.py LITELLM_JSON --version 1.108.7 [--date YYYY-MM-DD] [--out PATH]

LITELLM_JSON is LiteLLM's ``model_prices_and_context_window.json`` (or the
``model_prices_and_context_window_backup.json`` inside an installed ``litellm`` package).
Only the fields spendtui reads are kept (the rates of ``spendtui.core.prices.RATE_FIELDS``,
the standard ``*_above_<N>_tokens`` tiers, ``tiered_pricing``, ``litellm_provider``,
``mode``); the result starts with a ``_spendtui_snapshot`` header saying where it came from.
``--date`` defaults to the source file's modification date. Every kept number is checked to
read back as exactly the decimal the source file wrote, and the result is loaded with
spendtui's own reader before it is written. Not part of the package; run by hand.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from spendtui.core.price_files import META_KEY, loads_exact, parse_entries  # noqa: E402
from spendtui.core.prices import RATE_FIELDS, THRESHOLD_KEY  # noqa: E402

OUT = ROOT / "spendtui" / "core" / "data" / "litellm_prices.json"
KEPT = frozenset({*RATE_FIELDS, "litellm_provider", "mode"})
TIER_KEPT = frozenset(
    {
        "range",
        "input_cost_per_token",
        "output_cost_per_token",
        "cache_read_input_token_cost",
        "cache_creation_input_token_cost",
        "output_cost_per_reasoning_token",
    }
)


def _keep(entry: dict[str, object]) -> dict[str, object]:
    out = {k: v for k, v in entry.items() if (k in KEPT or THRESHOLD_KEY.match(k)) and v is not None}
    tiers = entry.get("tiered_pricing")
    if isinstance(tiers, list):
        token_tiers = [{k: v for k, v in t.items() if k in TIER_KEPT} for t in tiers if "range" in t]
        if token_tiers:  # (per-query search tiers have no token "range": not spendtui's)
            out["tiered_pricing"] = token_tiers
    return out


def _numbers(value: object) -> list[Decimal]:
    """Every number inside ``value``, in order."""
    if isinstance(value, dict):
        return [n for k in sorted(value) for n in _numbers(value[k])]
    if isinstance(value, list):
        return [n for v in value for n in _numbers(v)]
    return [value] if isinstance(value, Decimal) else []


def build(source: Path, version: str, date: str) -> str:
    data = json.loads(source.read_text(encoding="utf-8"))
    exact = loads_exact(source.read_text(encoding="utf-8"), str(source))
    assert isinstance(data, dict) and isinstance(exact, dict)
    header = {
        "source": "LiteLLM model_prices_and_context_window.json (cost fields, litellm_provider, mode only)",
        "litellm_version": version,
        "date": date,
        "from_file": source.name,
    }
    lines = [f"{json.dumps(META_KEY)}: {json.dumps(header)}"]
    for key, entry in data.items():
        if key == "sample_spec" or not isinstance(entry, dict):
            continue
        kept = _keep(entry)
        if not kept:
            continue
        text = json.dumps(kept, separators=(",", ":"))
        again = loads_exact(text, key)
        if _numbers(again) != _numbers(_keep(exact[key])):
            raise SystemExit(f"{key}: a price did not survive the rewrite exactly")
        lines.append(f"{json.dumps(key)}: {text}")
    out = "{\n" + ",\n".join(lines) + "\n}\n"
    entries = parse_entries(loads_exact(out, "snapshot"), "snapshot")
    print(f"{len(entries)} entries kept of {len(data) - 1}", file=sys.stderr)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("--version", required=True, help="the LiteLLM version the file ships with")
    parser.add_argument("--date", help="the date of the prices (default: the file's modification date)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    date = args.date or datetime.fromtimestamp(args.source.stat().st_mtime, UTC).date().isoformat()
    text = build(args.source, args.version, date)
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out} ({len(text.encode()) // 1024} kB)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
