"""``spendtui audit``: every logged cost re-priced from its tokens and checked (cron-friendly)."""

from __future__ import annotations

import argparse
import sys
from decimal import Decimal, InvalidOperation

from spendtui.cli.common import config_from_args, engine_for, price_file
from spendtui.cli.flags import Parser, add_source_flags, command, whole_number
from spendtui.cli.report import _window
from spendtui.core.audit import AUDIT_BY, DEFAULT_TOLERANCE, EXAMPLES, Audit, pricer
from spendtui.core.audit_cells import AuditSource
from spendtui.core.price_files import price_sources
from spendtui.core.prices import PriceMap
from spendtui.errors import SourceDataError
from spendtui.reports.audit import render_audit_csv, render_audit_json, render_audit_table
from spendtui.reports.render import FORMATS
from spendtui.timeutil import day_date

EPILOG = """\
Re-prices every request of the range from its tokens (prompt, completion, cache read,
cache creation, reasoning) at its model's price, and compares with the cost LiteLLM logged.

findings:
  zero-cost  logged at $0 with tokens, not a cache hit, not failed (a model missing
             from LiteLLM's price map, or custom pricing lost)
  drifted    |logged - expected| > max(tolerance x expected, $0.000001); cache hits and
             failed requests are expected to cost $0. Zero-cost requests are not counted
             again here
  unpriced   no price found for the model (their logged spend is shown apart)

prices, first found wins per field: --prices FILE (or the profile's `prices:`), then the
proxy's deployment prices stored in its database (LiteLLM_ProxyModelTable), then the
snapshot of LiteLLM's price map shipped with spendtui (its date is printed). No network.

exit codes:
  0  no findings
  2  findings (zero-cost, drifted or unpriced requests), or bad arguments or configuration
  3  the source is unreachable or unreadable, or cannot be audited (LiteLLM's REST API:
     use --db; its request logs are in its database)
"""


def add_parser(sub: argparse._SubParsersAction[Parser]) -> None:
    p = sub.add_parser(
        "audit",
        help="check every logged cost against the price map",
        description="Audit logged costs: zero-cost, drifted and unpriced requests, per model (or --by).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--start", metavar="YYYY-MM-DD", help="first UTC day (default: 29 days before --end)")
    p.add_argument("--end", metavar="YYYY-MM-DD", help="last UTC day, inclusive (default: today)")
    p.add_argument("--by", choices=list(AUDIT_BY), default="model", help="what a row is (default model)")
    p.add_argument("--format", choices=FORMATS, default="table", help="output format (default table)")
    p.add_argument(
        "--tolerance",
        metavar="PCT",
        type=_tolerance,
        default=DEFAULT_TOLERANCE,
        help=f"drift allowed, in percent of the expected cost (default {DEFAULT_TOLERANCE})",
    )
    p.add_argument("--prices", metavar="FILE", help="prices in LiteLLM's model_prices_and_context_window.json format")
    p.add_argument(
        "--examples",
        metavar="N",
        type=whole_number(0, 1000),
        default=EXAMPLES,
        help=f"examples kept per row (default {EXAMPLES})",
    )
    add_source_flags(p)
    command(p, run)


def _tolerance(value: str) -> Decimal:
    try:
        number = Decimal(value.strip().removesuffix("%"))
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of percent") from None
    if not number.is_finite() or not 0 <= number <= 1000:
        raise argparse.ArgumentTypeError(f"{value} is not between 0 and 1000 (percent)")
    return number


def run(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    path = price_file(args, config)
    engine = engine_for(config)
    try:
        source = engine.source
        if not isinstance(source, AuditSource):
            raise SourceDataError(
                "the audit re-prices every request of LiteLLM's request logs, which are in its "
                "database: point spendtui at it with --db postgresql://…"
            )
        window = _window(args, engine.today())
        prices = price_sources(path, source.prices)
        audit = Audit(tolerance=args.tolerance, examples=args.examples)
        source.audit(args.by, window.first_day, window.last_day, pricer(prices), audit)
        names = engine.source.names() if args.format != "table" else None
    finally:
        engine.close()
    first, last = day_date(window.first_day), day_date(window.last_day)
    if args.format == "json":
        sys.stdout.write(render_audit_json(audit, prices, args.by, first, last, names))
    elif args.format == "csv":
        sys.stdout.write(render_audit_csv(audit, args.by, names))
    else:
        sys.stdout.write(render_audit_table(audit, prices, args.by, first, last))
    if args.format != "table":
        for note in _notes(audit, prices):
            print(f"spendtui: note: {note}", file=sys.stderr)
    return 2 if audit.findings else 0


def _notes(audit: Audit, prices: PriceMap) -> list[str]:
    notes = [f"prices: {prices.source}" + (f" (dated {prices.date})" if prices.date else ""), *prices.notes]
    if audit.total.unreadable_spend:
        notes.append(f"{audit.total.unreadable_spend:,} requests with a spend that is not usable money: not audited")
    return notes
