"""``spendtui report``: spend, daily and breakdown reports for scripts and cron."""

from __future__ import annotations

import argparse
import difflib
import sys
from dataclasses import replace
from datetime import timedelta

from spendtui.cli.common import config_from_args, engine_for, price_file
from spendtui.cli.flags import Parser, add_source_flags, command, whole_number
from spendtui.cli.focus import EPILOG as FOCUS_EPILOG
from spendtui.cli.focus import add_focus_flags, refuse_focus_flags, run_focus
from spendtui.core.audit_cells import AuditSource
from spendtui.core.dims import Dimensions
from spendtui.core.facts import NotExact
from spendtui.core.latency_cells import NO_LATENCY_SOURCE, LatencySource
from spendtui.core.price_files import read_price_file
from spendtui.core.query import Window
from spendtui.core.questions import Questions
from spendtui.core.top import NO_TOP, TopCells, TopSource
from spendtui.core.whatif import DEFAULT_TOP as WHATIF_TOP
from spendtui.engine import SpendEngine
from spendtui.errors import SourceDataError, SourceError, UsageError
from spendtui.reports.build import LATENCY_KINDS, LATENCY_TOTAL, REPORT_KINDS, Report, build_report, build_user_report
from spendtui.reports.render import FORMATS, render
from spendtui.reports.top import render_top_csv, render_top_json, render_top_table
from spendtui.reports.whatif import build_whatif, render_whatif_csv, render_whatif_json, render_whatif_table
from spendtui.timeutil import day_date, parse_day

#: ``report sessions`` and ``report tools``: the dimension each ranks (``core.top``).
TOP_KINDS = {"sessions": "session", "tools": "tool"}
TOP_DEFAULT = 50

EPILOG = """\
exit codes:
  0  the report is printed (a window without requests gives zeros: that is the answer)
  1  `report user USER_ID`: no request from that user in the data read (from --start to
     now), or --tag-prefix CATEGORY: no request has a CATEGORY:... tag there. Probably a
     typo: a warning on stderr names close matches and the known ones; the report (of
     zeros, or of "(no CATEGORY)" and "(untagged)" rows) is still printed
  2  bad arguments or configuration
  3  the source is unreachable or unreadable, or cannot answer this report exactly

--tag-prefix CATEGORY (report tags) gives one row per value of CATEGORY (a request with
two values counts once in each), "(no CATEGORY)" for requests with tags but none of
CATEGORY, and "(untagged)" for requests without any tag.
CSV and JSON rows carry `id` (the identity: key hash, team id, model, day...; empty or
null for a "(none)" row), `name` (what LiteLLM logs) and `label` (key alias or sk-...abcd
name, team alias, customer alias); key rows add key_alias and key_name. In CSV `id` is the
last column. `organizations`, `projects` and `agents` rows carry `id` and `name` (the
alias or agent name, else the id), then the figures. A request counts under the
organization its log row names, else its key's, else its team's; under its key's project;
under the agent its row names, else its key's. A source that cannot answer a report
exactly (LiteLLM's daily tables do not record organizations, projects or agents) prints
why and exits 3: nothing is estimated.
`models`, `keys` and `teams` rows (and the total) carry latency_p50_ms, latency_p95_ms,
ttft_p50_ms and ttft_p95_ms (milliseconds, within 2 %; null when unknown): one more
aggregate over the request logs, which --no-latency skips.
`sessions` and `tools` rank the sessions (session_id: x-litellm-session-id) or MCP tools
(mcp_namespaced_tool_name) of the range by spend, --top N of them (default 50), from the
request logs in LiteLLM's database (its REST API has no such totals: exit 3); rows add
failures, first_seen, last_seen, models and keys, and the output says what requests
without a session or tool spent.
`whatif` re-prices every request of the range (LiteLLM's request logs, in its database:
exit 3 otherwise) on candidate models, same tokens: --models a,b,c (names looked up as
LiteLLM looks them up; one without a price exits 2 naming close matches), else the --top N
(default 15) cheapest price-map models of each mode of the requests (chat, embedding...);
plus the logged models at their own price. Ranked cheapest first, with the saving against
what was logged and against the expected cost at the logged models' own prices; then what
the cache saved (cache hits at full price, cache-read tokens, the cache-write premium).
Cache hits and failed requests cost $0 on any model: left out. --prices FILE as for
`spendtui audit` (then the database's deployment prices, then the bundled snapshot).
"""


def add_parser(sub: argparse._SubParsersAction[Parser]) -> None:
    p = sub.add_parser(
        "report",
        help="print a spend report (table, CSV or JSON)",
        description="Spend for a range of UTC days, in total or broken down.",
        epilog=EPILOG + FOCUS_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("kind", choices=[*REPORT_KINDS, *TOP_KINDS, "whatif", "focus", "user"], help="what to report")
    p.add_argument("user_id", nargs="?", help="the user, for `report user USER_ID`")
    p.add_argument("--start", metavar="YYYY-MM-DD", help="first UTC day (default: 29 days before --end)")
    p.add_argument("--end", metavar="YYYY-MM-DD", help="last UTC day, inclusive (default: today)")
    p.add_argument("--tag-prefix", metavar="CATEGORY", help="tags report: one row per value of this category")
    p.add_argument("--format", choices=FORMATS, default="table", help="output format (default table)")
    p.add_argument(
        "--top",
        metavar="N",
        type=_positive,
        help=f"sessions and tools reports: how many rows (default {TOP_DEFAULT}); "
        f"whatif: candidates per mode (default {WHATIF_TOP})",
    )
    p.add_argument("--models", metavar="A,B,C", help="whatif: the candidate models (default: the cheapest, --top)")
    p.add_argument("--prices", metavar="FILE", help="whatif, focus: prices in LiteLLM's price-map format (see `audit`)")
    add_focus_flags(p)
    p.add_argument(
        "--no-latency",
        action="store_true",
        help="models, keys, teams: skip the latency (one more aggregate over the logs); its fields stay null",
    )
    add_source_flags(p)
    command(p, run)


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


_positive = whole_number(1, 100_000)


def run(args: argparse.Namespace) -> int:
    if args.no_latency and REPORT_KINDS.get(args.kind) not in LATENCY_KINDS:
        raise UsageError("--no-latency only applies to `report models`, `report keys` and `report teams`")
    if args.kind == "focus":
        return run_focus(args, _window)
    refuse_focus_flags(args)
    if args.kind == "whatif":
        return _run_whatif(args)
    if args.top is not None and args.kind not in TOP_KINDS:
        raise UsageError("--top only applies to `report sessions`, `report tools` and `report whatif`")
    for given, name in ((args.models, "--models"), (args.prices, "--prices")):
        if given is not None:
            also = " and `report focus`" if name == "--prices" else ""
            raise UsageError(f"{name} only applies to `report whatif`{also}")
    if args.kind in TOP_KINDS:
        return _run_top(args)
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
        unknown = _unknown(engine.query, args, window)
        if args.kind == "user":
            report = build_user_report(engine.query, args.user_id, window, engine.names, notes)
        else:
            report = build_report(
                engine.query, args.kind, window, engine.names, tag_prefix=args.tag_prefix, notes=notes
            )
            if not args.no_latency:
                report, latency_notes = _with_latency(engine, report, window)
                notes += latency_notes
    finally:
        engine.close()
    sys.stdout.write(
        render(report, args.format) if args.format == "table" else render(_without_notes(report), args.format)
    )
    if args.format != "table":
        for note in notes:
            print(f"spendtui: note: {note}", file=sys.stderr)
    if unknown:
        print(f"spendtui: warning: {unknown}", file=sys.stderr)
        return 1
    return 0


def _with_latency(engine: SpendEngine, report: Report, window: Window) -> tuple[Report, tuple[str, ...]]:
    """``report`` with the latency of its rows (models, keys, teams), or a note saying why
    the source has none (the latency fields are then null); and the notes it added."""
    if report.group_by not in LATENCY_KINDS:
        return report, ()
    source = engine.source
    try:
        if not isinstance(source, LatencySource):
            raise NotExact(NO_LATENCY_SOURCE)
        found = source.latency_by(report.group_by, window.first_day, window.last_day)
    except (NotExact, SourceError) as exc:
        note = f"no latency: {exc}"
        return replace(report, notes=(*report.notes, note)), (note,)
    latency = {**found.rows, LATENCY_TOTAL: found.total}
    added: tuple[str, ...] = ()
    if found.unusable:
        added = (f"{found.unusable:,} successful requests with a negative or day-long duration: not in the latency",)
    return replace(report, latency=latency, notes=report.notes + added), added


def _run_top(args: argparse.Namespace) -> int:
    """Sessions or tools: ranked by the source from the request logs, not from the cube."""
    if args.user_id:
        raise UsageError(f"unexpected argument {args.user_id!r}")
    if args.tag_prefix is not None:
        raise UsageError("--tag-prefix only applies to `report tags`")
    config = config_from_args(args)
    engine = engine_for(config)
    dimension = TOP_KINDS[args.kind]
    try:
        window = _window(args, engine.today())
        source = engine.source
        if not isinstance(source, TopSource):
            raise SourceDataError(f"{args.kind} come from LiteLLM's request logs in its database: {NO_TOP}")
        found = source.top_groups(dimension, window.first_day, window.last_day)
        answer = TopCells(found, Dimensions()).rank(args.top or TOP_DEFAULT)
        names = engine.source.names()
    finally:
        engine.close()
    if args.format == "json":
        sys.stdout.write(render_top_json(answer, window, names))
    elif args.format == "csv":
        sys.stdout.write(render_top_csv(answer, names))
    else:
        sys.stdout.write(render_top_table(answer, window, names))
    if args.format != "table" and answer.skipped:
        print(
            f"spendtui: note: {answer.skipped:,} rows skipped: spend missing, negative, NaN or absurd", file=sys.stderr
        )
    return 0


def _run_whatif(args: argparse.Namespace) -> int:
    """The requests of the range re-priced on candidate models (``core.whatif``)."""
    if args.user_id:
        raise UsageError(f"unexpected argument {args.user_id!r}")
    if args.tag_prefix is not None:
        raise UsageError("--tag-prefix only applies to `report tags`")
    models = None if args.models is None else [m.strip() for m in args.models.split(",") if m.strip()]
    if models is not None and not models:
        raise UsageError("--models takes model names separated by commas, such as gpt-4o-mini,claude-haiku-4-5")
    if models is not None and args.top is not None:
        raise UsageError("--top picks the cheapest candidates: not with --models")
    config = config_from_args(args)
    path = price_file(args, config)
    given = read_price_file(path) if path else None
    engine = engine_for(config)
    try:
        window = _window(args, engine.today())
        source = engine.source
        if not isinstance(source, AuditSource):
            raise SourceDataError(
                "the what-if re-prices every request of LiteLLM's request logs, which are in its "
                "database: point spendtui at it with --db postgresql://…"
            )
        result, prices = build_whatif(source, window.first_day, window.last_day, given, models, args.top or WHATIF_TOP)
    finally:
        engine.close()
    first, last = day_date(window.first_day), day_date(window.last_day)
    if args.format == "json":
        sys.stdout.write(render_whatif_json(result, prices, first, last))
    elif args.format == "csv":
        sys.stdout.write(render_whatif_csv(result))
    else:
        sys.stdout.write(render_whatif_table(result, prices, first, last))
    if args.format != "table":
        dated = f" (dated {prices.date})" if prices.date else ""
        for note in [f"prices: {prices.source}{dated}", *prices.notes, *result.notes]:
            print(f"spendtui: note: {note}", file=sys.stderr)
    return 0


def _suggest(wanted: str, known: list[str]) -> str:
    """``; did you mean 'x'?`` for the closest known names (any case), or ""."""
    folded = {k.lower(): k for k in known}
    close = difflib.get_close_matches(wanted.lower(), list(folded), n=3, cutoff=0.6)
    return f"; did you mean {' or '.join(repr(folded[c]) for c in close)}?" if close else ""


def _unknown(query: Questions, args: argparse.Namespace, window: Window) -> str | None:
    """Why a user or tag category asked for is probably a typo, or None when the data knows it."""
    since = window.first.isoformat()
    if args.kind == "user":
        users = [u for u in query.values("user") if u]
        if args.user_id in users:
            return None
        listed = f" (users: {', '.join(users)})" if len(users) <= 12 else " (`spendtui report users` lists them)"
        return (
            f"no request from user {args.user_id!r} in the data read (since {since})"
            f"{_suggest(args.user_id, users)}{listed}"
        )
    if args.tag_prefix is not None:
        categories = query.tag_categories(None)
        if args.tag_prefix in categories:
            return None
        listed = ", ".join(categories) or "none: no request has a category:value tag"
        return (
            f"no request has a {args.tag_prefix}:... tag in the data read (since {since})"
            f"{_suggest(args.tag_prefix, categories)} (tag categories: {listed})"
        )
    return None


def _without_notes(report: Report) -> Report:
    from dataclasses import replace

    return replace(report, notes=())
