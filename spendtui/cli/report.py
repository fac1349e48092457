"""``spendtui report``: spend, daily and breakdown reports for scripts and cron."""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta

from spendtui.cli.args import add_source_flags
from spendtui.cli.common import config_from_args, engine_for
from spendtui.core.query import Window
from spendtui.errors import UsageError
from spendtui.reports.build import REPORT_KINDS, build_report, build_user_report
from spendtui.reports.render import FORMATS, render
from spendtui.timeutil import day_date, parse_day


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report",
        help="print a spend report (table, CSV or JSON)",
        description="Spend for a range of UTC days, in total or broken down. "
        "Exit codes: 0 ok, 2 bad arguments or config, 3 source unreachable or unreadable.",
    )
    p.add_argument("kind", choices=[*REPORT_KINDS, "user"], help="what to report")
    p.add_argument("user_id", nargs="?", help="the user, for `report user USER_ID`")
    p.add_argument("--start", metavar="YYYY-MM-DD", help="first UTC day (default: 29 days before --end)")
    p.add_argument("--end", metavar="YYYY-MM-DD", help="last UTC day, inclusive (default: today)")
    p.add_argument("--tag-prefix", metavar="CATEGORY", help="tags report: one row per value of this category")
    p.add_argument("--format", choices=FORMATS, default="table", help="output format (default table)")
    add_source_flags(p)
    p.set_defaults(handler=run)


def _window(args: argparse.Namespace, today: int) -> Window:
    try:
        end = parse_day(args.end) if args.end else day_date(today)
        start = parse_day(args.start) if args.start else end - timedelta(days=29)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if end < start:
        raise UsageError(f"--end {end} is before --start {start}")
    if (end - start).days > 3660:
        raise UsageError("the range is longer than ten years")
    return Window.from_dates(start, end)


def run(args: argparse.Namespace) -> int:
    if args.kind == "user" and not args.user_id:
        raise UsageError("report user needs a USER_ID")
    if args.kind != "user" and args.user_id:
        raise UsageError(f"unexpected argument {args.user_id!r}")
    if args.tag_prefix is not None and args.kind != "tags":
        raise UsageError("--tag-prefix only applies to `report tags`")
    if args.tag_prefix is not None and (not args.tag_prefix.strip() or ":" in args.tag_prefix):
        raise UsageError("--tag-prefix takes a category such as project (without ':')")
    config = config_from_args(args)
    engine = engine_for(config)
    try:
        window = _window(args, engine.today())
        engine.load(window.first_day)
        notes = tuple(engine.cube.quality.describe())
        if args.kind == "user":
            report = build_user_report(engine.query, args.user_id, window, engine.names, notes)
        else:
            report = build_report(
                engine.query, args.kind, window, engine.names, tag_prefix=args.tag_prefix, notes=notes
            )
    finally:
        engine.close()
    sys.stdout.write(
        render(report, args.format) if args.format == "table" else render(_without_notes(report), args.format)
    )
    if args.format != "table":
        for note in notes:
            print(f"spendtui: note: {note}", file=sys.stderr)
    return 0


def _without_notes(report):  # type: ignore[no-untyped-def]
    from dataclasses import replace

    return replace(report, notes=())
