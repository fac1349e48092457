"""spendtui's benchmark suite: one command, results as Markdown (see docs/performance.md).

    python -m benchmarks                                   # 100k, 1M, 5M rows, both engines; 5 runs
    python -m benchmarks --rows 100000 --pg-rows 100000 --runs 3    # a quick look

Builds the demo databases once under ``$TMPDIR/spendtui-bench`` (5M rows take about
3 minutes), loads the same rows into LiteLLM's real schema on the PostgreSQL server named
by ``--pg`` (default ``$SPENDTUI_TEST_PG``; skipped when neither is set), and prints the
medians side by side with ratios, growth from the smallest to the largest size, and the
issue's targets. ``--json PATH`` also keeps the raw numbers.

The TUI timings (first frame, data on screen, UI-thread time per refresh, idle CPU over
60 s in a real tmux terminal) come from ``benchmarks/tui.py`` (``measure``), run on the
smallest SQLite database and printed as their own table.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from pathlib import Path

from benchmarks.common import data_dir, log, machine, sqlite_db
from benchmarks.engine import import_seconds, sqlite_numbers
from benchmarks.report import PG_LINES, SQLITE_LINES, table, targets


def tui_section(db: Path, runs: int) -> list[str]:
    from benchmarks.tui import measure

    rows = measure(db, runs)
    return ["### TUI", "", "| measure | value |", "|---|---|", *(f"| {a} | {b} |" for a, b in rows), ""]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000, 5_000_000])
    parser.add_argument("--pg-rows", type=int, nargs="*", default=[100_000, 1_000_000, 5_000_000])
    parser.add_argument("--pg", default=os.environ.get("SPENDTUI_TEST_PG"), help="PostgreSQL admin URL")
    parser.add_argument("--runs", type=int, default=5, help="runs per measure (medians; at least 5 to publish)")
    parser.add_argument("--json", type=Path, help="also write the raw numbers here")
    args = parser.parse_args(argv)
    command = "python -m benchmarks " + shlex.join(sys.argv[1:] if argv is None else argv)
    sqlite_results: dict[int, dict[str, float]] = {}
    pg_results: dict[int, dict[str, float]] = {}
    for rows in sorted(args.rows):
        log(f"SQLite, {rows:,} rows…")
        sqlite_results[rows] = sqlite_numbers(sqlite_db(rows), args.runs)
    if args.pg and args.pg_rows:
        from benchmarks.pg import pg_numbers

        for rows in sorted(args.pg_rows):
            log(f"PostgreSQL, {rows:,} rows…")
            pg_results[rows] = pg_numbers(args.pg, sqlite_db(rows), rows, args.runs)
    imports = import_seconds(args.runs)
    pg_imports = import_seconds(args.runs, "psycopg, sqlalchemy.dialects.postgresql.psycopg")
    out = [
        f"Command: `{command}`  ",
        f"Machine: {machine()}  ",
        f"Medians of {args.runs} runs; demo databases (LiteLLM layout, 90 days) in {data_dir()}. "
        f"Interpreter start plus engine and driver imports, before any data: {imports:.0f} ms "
        f"(SQLite), {pg_imports:.0f} ms (PostgreSQL).",
        "",
    ]
    out += table("SQLite", sqlite_results, SQLITE_LINES)
    if pg_results:
        out += table("PostgreSQL (LiteLLM 1.108.7 schema, local server)", pg_results, PG_LINES)
    out += ["### Targets", "", *targets(sqlite_results)]
    out += tui_section(sqlite_db(min(args.rows)), args.runs)
    print("\n".join(out))
    if args.json:
        args.json.write_text(
            json.dumps({"sqlite": sqlite_results, "postgresql": pg_results, "imports_ms": [imports, pg_imports]})
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
