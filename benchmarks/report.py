"""The benchmark results as Markdown tables: measures by size, ratios, growth, targets."""

from __future__ import annotations

import math

Results = dict[int, dict[str, float]]

SQLITE_LINES = [
    ("rows in the 30-day window", "window_rows", "{:,.0f}"),
    ("SQLite bare `sum(spend), count(*)`, whole table (ms)", "floor_table", "{:.0f}"),
    ("SQLite bare `sum(spend), count(*)`, 30-day window (ms)", "floor_window", "{:.0f}"),
    ("naive: 7 `GROUP BY` queries, 30-day window (ms)", "naive", "{:.0f}"),
    ("spendtui cold load, 30 days, every breakdown ready (ms)", "cold_load", "{:.0f}"),
    ("  the same in WAL mode (ms)", "cold_load_wal", "{:.0f}"),
    ("  cells in the cube (30 days)", "cells", "{:,.0f}"),
    ("spendtui breakdown change (ms)", "breakdown", "{:.2f}"),
    ("spendtui filter change (ms)", "filter_change", "{:.2f}"),
    ("latency histograms read, 30 days, on first use (ms)", "latency_read", "{:.0f}"),
    ("  then p50/p95 and TTFT per model (ms)", "latency_models", "{:.2f}"),
    ("spendtui refresh, 500 new rows (ms)", "refresh_500", "{:.1f}"),
    ("spendtui refresh, nothing new (ms)", "refresh_idle", "{:.1f}"),
    ("`spendtui audit`, 30 days, fresh process (ms)", "audit_cli", "{:.0f}"),
    ("  its peak RSS (MB)", "audit_cli_rss", "{:.0f}"),
    ("the dashboard's audit read, 30 days, on first use (ms)", "audit_read", "{:.0f}"),
    ("  then the Costs pane's figures from the cells (ms)", "audit_costs", "{:.2f}"),
    ("spendtui refresh, 500 new rows, audit held (ms)", "refresh_500_audit", "{:.1f}"),
    ("warm restart, 30 days: data ready (ms)", "warm_ready_30d", "{:.0f}"),
    ("warm restart, 90 days: data ready (ms)", "warm_ready_90d", "{:.0f}"),
    ("  cells in the cube (90 days)", "cells_90d", "{:,.0f}"),
    ("warm restart, 30 days: process start to data ready (ms)", "warm_total_30d", "{:.0f}"),
    ("cube cache write, 30 / 90 days (ms)", ("cache_save_30d", "cache_save_90d"), "{:.0f}"),
    ("cold start in a fresh process, 90 days: data ready (ms)", "cold_start_ready_90d", "{:.0f}"),
    ("RSS, 90 days loaded cold (MB)", "cold_rss_90d", "{:.0f}"),
    ("RSS, 90 days restored warm (MB)", "warm_rss_90d", "{:.0f}"),
]
PG_LINES = [
    ("rows in the 30-day window", "window_rows", "{:,.0f}"),
    ("PostgreSQL bare `sum(spend), count(*)`, whole table (ms)", "floor_table", "{:.0f}"),
    ("PostgreSQL bare `sum(spend), count(*)`, 30-day window (ms)", "floor_window", "{:.0f}"),
    ("naive: 7 `GROUP BY` queries, 30-day window (ms)", "naive", "{:.0f}"),
    ("spendtui cold load, 30 days, every breakdown ready (ms)", "cold_load", "{:.0f}"),
    ("  cells in the cube (30 days)", "cells", "{:,.0f}"),
    ("spendtui cold load, `history: daily` (ms)", "cold_load_daily", "{:.0f}"),
    ("  then its check of the daily tables against the logs (ms)", "daily_check", "{:.0f}"),
    ("  rows in LiteLLM_DailyUserSpend (90 days)", "daily_rows", "{:,.0f}"),
    ("latency histograms read, 30 days, on first use (ms)", "latency_read", "{:.0f}"),
    ("  then p50/p95 and TTFT per model (ms)", "latency_models", "{:.2f}"),
    ("spendtui refresh, 500 new rows (ms)", "refresh_500", "{:.1f}"),
    ("spendtui refresh, nothing new (ms)", "refresh_idle", "{:.1f}"),
    ("`spendtui audit`, 30 days, fresh process (ms)", "audit_cli", "{:.0f}"),
    ("  its peak RSS (MB)", "audit_cli_rss", "{:.0f}"),
    ("the dashboard's audit read, 30 days, on first use (ms)", "audit_read", "{:.0f}"),
    ("  then the Costs pane's figures from the cells (ms)", "audit_costs", "{:.2f}"),
    ("spendtui refresh, 500 new rows, audit held (ms)", "refresh_500_audit", "{:.1f}"),
    ("warm restart, 30 days: data ready (ms)", "warm_ready_30d", "{:.0f}"),
    ("  then the read of rows written late for older requests (ms)", "warm_late_30d", "{:.0f}"),
    ("  the same with an index on `created_at` (ms)", "warm_ready_30d_idx", "{:.0f}"),
    ("  the same with `history: daily` (ms)", "warm_ready_30d_daily", "{:.0f}"),
    ("warm restart, 30 days: process start to data ready (ms)", "warm_total_30d", "{:.0f}"),
]
RATIOS = [
    ("cold load ÷ bare whole-table scan", "cold_load", "floor_table"),
    ("cold load ÷ bare window scan", "cold_load", "floor_window"),
    ("cold load ÷ naive 7 queries", "cold_load", "naive"),
    ("warm restart ÷ cold load (30 days)", "warm_ready_30d", "cold_load"),
]


def _value(row: dict[str, float], key: str | tuple[str, ...], fmt: str) -> str:
    keys = key if isinstance(key, tuple) else (key,)
    values = [row.get(k) for k in keys]
    if any(v is None or (isinstance(v, float) and math.isnan(v)) for v in values):
        return "–"
    return " / ".join(fmt.format(v) for v in values)


def _growth(results: Results, key: str | tuple[str, ...]) -> str:
    sizes = sorted(results)
    first = key[0] if isinstance(key, tuple) else key
    lo, hi = results[sizes[0]].get(first), results[sizes[-1]].get(first)
    if len(sizes) < 2 or not lo or hi is None:
        return "–"
    return f"{hi / lo:.1f}×"


def table(title: str, results: Results, lines: list) -> list[str]:
    sizes = sorted(results)
    span = f"growth {sizes[0]:,} → {sizes[-1]:,}" if len(sizes) > 1 else "growth"
    out = [f"### {title}", "", "| measure | " + " | ".join(f"{s:,} rows" for s in sizes) + f" | {span} |"]
    out.append("|---" * (len(sizes) + 2) + "|")
    for label, key, fmt in lines:
        if all(_value(results[s], key, fmt) == "–" for s in sizes):
            continue
        cells = " | ".join(_value(results[s], key, fmt) for s in sizes)
        out.append(f"| {label} | {cells} | {_growth(results, key)} |")
    for label, num, den in RATIOS:
        if not all(results[s].get(num) and results[s].get(den) for s in sizes):
            continue
        cells = " | ".join(f"{results[s][num] / results[s][den]:.2f}×" for s in sizes)
        out.append(f"| *{label}* | {cells} | |")
    return [*out, ""]


def targets(results: Results) -> list[str]:
    """The issue's targets against what was measured (sizes that were run)."""
    rows: list[tuple[str, str, str, bool | None]] = []

    def at(size: int, key: str) -> float | None:
        return results.get(size, {}).get(key)

    one_m = 1_000_000
    if at(one_m, "cold_load") is not None:
        cold, scan = at(one_m, "cold_load"), at(one_m, "floor_table")
        assert cold is not None and scan is not None
        ok = cold <= 600 and cold <= 5 * scan
        rows.append(
            (
                "cold load, 30 days, 1M rows",
                "≤ 600 ms and ≤ 5× bare scan",
                f"{cold:.0f} ms, {cold / scan:.1f}×",
                ok,
            )
        )
        wal = at(one_m, "cold_load_wal")
        if wal is not None:
            ok = wal <= 600 and wal <= 5 * scan
            rows.append(
                (
                    "cold load, 30 days, 1M rows, WAL mode",
                    "≤ 600 ms and ≤ 5× bare scan",
                    f"{wal:.0f} ms, {wal / scan:.1f}×",
                    ok,
                )
            )
        for key, label in (("breakdown", "breakdown change, 1M"), ("filter_change", "filter change, 1M")):
            value = at(one_m, key)
            if value is not None:
                rows.append((label, "≤ 10 ms", f"{value:.2f} ms", value <= 10))
        rss = at(one_m, "cold_rss_90d")
        if rss is not None:
            rows.append(
                (
                    "RSS, 1M rows, 90 days (cold / warm)",
                    "≤ 150 MB",
                    _pair(results, one_m, "cold_rss_90d", "warm_rss_90d", "MB"),
                    max(rss, at(one_m, "warm_rss_90d") or 0) <= 150,
                )
            )
    for size in sorted(results):
        value = at(size, "refresh_500")
        if value is not None and size >= one_m:
            rows.append((f"refresh, 500 new rows, {size:,} rows", "≤ 20 ms", f"{value:.1f} ms", value <= 20))
    warm = [
        (s, k, results[s][k]) for s in sorted(results) for k in ("warm_ready_30d", "warm_ready_90d") if k in results[s]
    ]
    if warm:
        worst = max(warm, key=lambda w: w[2])
        label = f"warm restart, data ready (worst: {worst[0]:,} rows, {worst[1][-3:]})"
        rows.append((label, "≤ 150 ms at any size", f"{worst[2]:.0f} ms", worst[2] <= 150))
    out = ["| target | wanted | measured | |", "|---|---|---|---|"]
    out += [f"| {a} | {b} | {c} | {'met' if ok else 'missed'} |" for a, b, c, ok in rows]
    return [*out, ""]


def _pair(results: Results, size: int, a: str, b: str, unit: str) -> str:
    return f"{results[size][a]:.0f} / {results[size].get(b, float('nan')):.0f} {unit}"
