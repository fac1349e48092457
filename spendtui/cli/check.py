"""``spendtui check``: evaluate every budget once, print those at or over a threshold,
optionally send alerts to webhooks and email, and exit with a monitoring-style code for cron."""

from __future__ import annotations

import argparse
import hashlib
import sys
from typing import TYPE_CHECKING

from spendtui.cli.flags import Parser, add_source_flags, command
from spendtui.core.budget_state import KINDS
from spendtui.errors import UsageError
from spendtui.timeutil import fixed_clock, parse_timestamp

if TYPE_CHECKING:
    from spendtui.budgets.board import BudgetBoard
    from spendtui.budgets.config import BudgetSettings
    from spendtui.core.rule_eval import RuleBoard

EXIT_OK, EXIT_WARNING, EXIT_EXCEEDED, EXIT_UNREACHABLE = 0, 1, 2, 3
_EXIT_FOR_LEVEL = {"ok": EXIT_OK, "warning": EXIT_WARNING, "exceeded": EXIT_EXCEEDED}

EPILOG = """\
exit codes (monitoring-plugin style, for cron, Nagios and friends):
  0  every budget is below every threshold, and no spend rule fires
  1  a warning threshold is crossed (default 80%), or a soft budget
  2  a budget is exceeded (spend at or over max_budget), or a spend rule fires
  3  the source is unreachable or unreadable
Note: 2 is also what every spendtui command returns for bad arguments or a bad config
file; the message on stderr tells them apart.

Budgets are LiteLLM's (keys, teams, users, customers, organizations, projects, team
members, tags and per-model budgets with a max or soft budget) plus the plans under
`budgets:` in the config file. The "logs" column compares LiteLLM's stored counter with
the request logs for the budget's window: "≠ $X" when they differ by more than a cent.
Thresholds come from `alert_thresholds` (default 0.8 and 1.0) and `budget_alerts`.
--notify posts {"text": ...} to each webhook in `budget_alerts` and mails each
`email:` address (through the config's `smtp:` server) once per budget, threshold and
window (state file in the platform state directory, e.g.
~/.local/state/spendtui/alerts.json).
"""


def add_parser(sub: argparse._SubParsersAction[Parser]) -> None:
    p = sub.add_parser(
        "check",
        help="check every budget once; exit 0 ok, 1 warning, 2 exceeded, 3 unreachable",
        description="Evaluate LiteLLM's budgets and spendtui's plans once, print the ones at or over "
        "a threshold, and exit with a status code for cron.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--format", choices=("table", "json"), default="table", help="output format (default table)")
    p.add_argument("--all", action="store_true", help="print every budget, not only those at or over a threshold")
    p.add_argument(
        "--kind",
        action="append",
        choices=KINDS,
        metavar="KIND",
        help=f"only these kinds ({', '.join(KINDS)}); repeatable",
    )
    p.add_argument(
        "--notify",
        action="store_true",
        help="send new alerts to the webhooks and email addresses in the config's budget_alerts (once per window)",
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="with --notify: print the alerts that would be sent, and where, without sending or recording them",
    )
    p.add_argument(
        "--now",
        metavar="ISO",
        help="evaluate as if it were this UTC moment (demo data and tests; LiteLLM's counters are "
        "always the current ones)",
    )
    add_source_flags(p)
    command(p, run)


def run(args: argparse.Namespace) -> int:
    from spendtui.budgets.board import budget_board, profile_zone
    from spendtui.budgets.config import budget_settings
    from spendtui.budgets.render import render_json, render_table
    from spendtui.budgets.rules_config import rule_settings
    from spendtui.budgets.rules_eval import rule_board
    from spendtui.cli.common import config_from_args, engine_for

    if args.dry_run and not args.notify:
        raise UsageError("--dry-run shows what --notify would send: give both")
    now = None
    if args.now:
        now = parse_timestamp(args.now)
        if now is None:
            raise UsageError(f"--now {args.now!r} is not an ISO timestamp")
    config = config_from_args(args)
    settings = budget_settings(config)
    tz = profile_zone(config.active.name, config.active.timezone)
    engine = engine_for(config)
    if now is not None:
        engine.clock = fixed_clock(now)
    rules = rule_settings(config)
    try:
        board = budget_board(engine, settings, tz, kinds=args.kind)
        # (rules are not a budget kind: --kind narrows to budgets)
        rule_results = rule_board(engine, rules, tz) if rules.rules and not args.kind else None
        scope = hashlib.sha256(f"{config.active.name}|{engine.source.display}".encode()).hexdigest()[:16]
    finally:
        engine.close()
    exit_code = _EXIT_FOR_LEVEL[board.level]
    if rule_results is not None and rule_results.firing():
        exit_code = max(exit_code, EXIT_EXCEEDED)
    shown = board.budgets if args.all else board.alerting()
    if args.format == "json":
        sys.stdout.write(render_json(board, shown, exit_code, settings.thresholds, rule_results, args.all))
    else:
        sys.stdout.write(render_table(board, shown, rule_results, args.all))
    sys.stdout.flush()
    if args.dry_run:
        _dry_run(board, settings, scope, rule_results)
    elif args.notify:
        _notify(board, settings, config.active.name, scope, rule_results)
    return exit_code


def _dry_run(board: BudgetBoard, settings: BudgetSettings, scope: str, rules: RuleBoard | None) -> None:
    from spendtui.budgets.ledger import AlertLedger
    from spendtui.budgets.notify import budget_label, pending_alerts, target_label
    from spendtui.budgets.rule_notify import notify_rules

    ledger = AlertLedger().load()
    if ledger.problem:
        print(f"spendtui: warning: {ledger.problem}", file=sys.stderr)
    pending = pending_alerts(board, settings, ledger, scope)
    for crossing, target in pending:
        state = crossing.budget.state
        what = budget_label(state)
        print(
            f"spendtui: --dry-run: would send {what} {crossing.threshold.label} to {target_label(target)}",
            file=sys.stderr,
        )
    planned = []
    if rules is not None:
        planned = notify_rules(
            rules.results,
            ledger,
            scope=scope,
            source_label="",
            now=rules.evaluated_at,
            client=None,
            smtp=None,
            report=lambda message: None,
            dry_run=True,
        )
    for d in planned:
        print(
            f"spendtui: --dry-run: would send rule {d.event.result.rule.name} {d.event.kind} to {d.channel}",
            file=sys.stderr,
        )
    total = len(pending) + len(planned)
    print(f"spendtui: --dry-run: {total} alert(s) would be sent; nothing sent or recorded", file=sys.stderr)


def _notify(
    board: BudgetBoard, settings: BudgetSettings, source_label: str, scope: str, rules: RuleBoard | None
) -> None:
    import httpx

    from spendtui.budgets.ledger import AlertLedger
    from spendtui.budgets.notify import TIMEOUT, notify
    from spendtui.budgets.rule_notify import notify_rules

    def report(message: str) -> None:
        print(f"spendtui: {message}", file=sys.stderr)

    rule_channels = rules is not None and any(r.rule.channels for r in rules.results)
    if not settings.webhooks and not settings.emails and not rule_channels:
        report("--notify: no alert channel configured (webhook or email in budget_alerts or rules); nothing sent")
        return
    ledger = AlertLedger().load()
    if ledger.problem:
        report(f"warning: {ledger.problem}")
    with httpx.Client(timeout=TIMEOUT, follow_redirects=False) as client:
        result = notify(
            board,
            settings,
            ledger,
            scope=scope,
            source_label=source_label,
            now=board.evaluated_at,
            client=client,
            report=report,
        )
        sent_rules = []
        if rules is not None:
            sent_rules = notify_rules(
                rules.results,
                ledger,
                scope=scope,
                source_label=source_label,
                now=rules.evaluated_at,
                client=client,
                smtp=settings.smtp,
                report=report,
            )
    try:
        ledger.save()
    except OSError as exc:
        report(f"cannot write {ledger.path} ({exc.strerror or exc}): alerts may be sent again")
    hooks, mails = result.of("webhook", ok=True), result.of("email", ok=True)
    sent = [f"{sum(d.alerts for d in hooks)} alert(s) sent to {len(hooks)} webhook(s)"]
    failed = [f"{len(result.of('webhook', ok=False))} webhook(s) failed"]
    if settings.emails:
        sent.append(f"{len(mails)} email(s) sent to {sum(d.recipients for d in mails)} address(es)")
        failed.append(f"{len(result.of('email', ok=False))} email(s) failed")
    if rules is not None:
        sent.append(f"{sum(d.ok for d in sent_rules)} rule event(s) sent")
        failed.append(f"{sum(not d.ok for d in sent_rules)} rule event(s) failed")
    report(f"--notify: {', '.join(sent)}, {result.already_sent} already sent in their window, {', '.join(failed)}")
