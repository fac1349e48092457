"""``spendtui metrics``: a Prometheus endpoint for spend, budgets and rules (see reports/metrics.py)."""

from __future__ import annotations

import argparse
import ipaddress
import signal
import sys
import threading
from collections.abc import Iterator
from types import FrameType
from typing import TYPE_CHECKING

from spendtui.cli.flags import Parser, add_source_flags, command, whole_number
from spendtui.dashboard.state import WINDOWS, ViewState
from spendtui.errors import SpendtuiError, UsageError

if TYPE_CHECKING:
    from wsgiref.simple_server import WSGIServer

    from prometheus_client.metrics_core import Metric

    from spendtui.reports.metrics_refresh import MetricsRefresher

DEFAULT_LISTEN = "127.0.0.1:9464"
DEFAULT_INTERVAL = 15.0
MIN_INTERVAL = 0.2
DEFAULT_TOP = 50
DEFAULT_WINDOW = "mtd"
#: Seconds a stop waits for a pass in progress before exiting without it.
STOP_GRACE = 5.0

EPILOG = """\
Serves http://HOST:PORT/metrics (any path answers) for Prometheus. Every --interval
seconds a background pass polls the rows written since the last one (the first loads the
window), re-reads LiteLLM's budgets, evaluates budgets and spend rules, and swaps in a new
snapshot; a scrape only reads the latest snapshot, so it never waits for the database.

Usage series (litellm_spend_metric_total, litellm_requests_metric_total, token counts,
spendtui_failed_requests) are gauges over --window (default mtd: the calendar month so
far, UTC; like a counter that resets on the 1st). Each label keeps its --top values by
spend; the rest are summed under "(other)", so `sum by (team)` is exact for every team
shown and the other bucket holds exactly the rest.

Budgets: litellm_remaining_{team,api_key,user,org}_budget_metric and their max and
remaining-hours twins; spendtui_budget_* for every budget kind and plan, with its alert
level; spendtui_rule_* for the spend rules. spendtui_source_up is 0 while the source is
unreachable (the last data stays served), and spendtui_last_refresh_timestamp_seconds
says how old it is. SIGTERM or SIGINT: a clean exit (0). README, "Prometheus metrics".
"""


def add_parser(sub: argparse._SubParsersAction[Parser]) -> None:
    p = sub.add_parser(
        "metrics",
        help="serve spend, budgets and rule states as Prometheus metrics (LiteLLM's metric names)",
        description="A Prometheus /metrics endpoint: spend per model, key, team, user, customer and organization, "
        "LiteLLM's budget gauges, budget and rule alert states; refreshed in the background.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--listen",
        default=DEFAULT_LISTEN,
        metavar="HOST:PORT",
        help=f"address to serve on (default {DEFAULT_LISTEN}; [::1]:PORT for IPv6; 0.0.0.0:PORT for every interface)",
    )
    p.add_argument(
        "--interval",
        type=float,
        default=DEFAULT_INTERVAL,
        metavar="SECONDS",
        help=f"seconds between refreshes (default {DEFAULT_INTERVAL:g})",
    )
    p.add_argument(
        "--window",
        dest="metrics_window",
        choices=WINDOWS,
        default=DEFAULT_WINDOW,
        help=f"what the usage series cover (default {DEFAULT_WINDOW}: the month so far, UTC)",
    )
    p.add_argument(
        "--top",
        type=whole_number(1, 1000),
        default=DEFAULT_TOP,
        metavar="N",
        help=f"values kept per label; the rest are summed under '(other)' (default {DEFAULT_TOP})",
    )
    add_source_flags(p)
    command(p, run)


class ListenError(SpendtuiError):
    """The address cannot be listened on (in use, not ours, unknown host)."""

    exit_code = 3


def parse_listen(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[v6]:PORT``) as (host, port); UsageError naming what is wrong."""
    host, sep, port_text = text.rpartition(":")
    if not sep or not host or not port_text:
        raise UsageError(f"--listen {text!r}: give HOST:PORT, e.g. 127.0.0.1:9464")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise UsageError(f"--listen {text!r}: {host!r} is not an IPv6 address") from None
    elif ":" in host:
        raise UsageError(f"--listen {text!r}: write an IPv6 address in brackets, e.g. [::1]:9464")
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise UsageError(f"--listen {text!r}: the port must be a number from 1 to 65535")
    return host, int(port_text)


class SnapshotCollector:
    """A prometheus_client collector serving the refresher's latest snapshot as it is."""

    def __init__(self, refresher: MetricsRefresher) -> None:
        self.refresher = refresher

    def collect(self) -> Iterator[Metric]:
        from prometheus_client.core import GaugeMetricFamily

        snapshot = self.refresher.latest  # (one read: the refresher swaps in whole snapshots)
        for family in snapshot.families:
            metric = GaugeMetricFamily(family.name, family.help, labels=family.labels)
            for labels, value in family.samples:
                metric.add_metric(labels, value)
            yield metric


def run(args: argparse.Namespace) -> int:
    from spendtui.budgets.board import profile_zone
    from spendtui.budgets.config import budget_settings
    from spendtui.budgets.rules_config import rule_settings
    from spendtui.cli.common import config_from_args, engine_for
    from spendtui.reports.metrics_refresh import MetricsRefresher

    if not args.interval >= MIN_INTERVAL:
        raise UsageError(f"--interval {args.interval:g}: give at least {MIN_INTERVAL:g} seconds")
    host, port = parse_listen(args.listen)
    config = config_from_args(args)
    settings = budget_settings(config)
    rules = rule_settings(config)
    tz = profile_zone(config.active.name, config.active.timezone)
    engine = engine_for(config)  # (checks the profile now; connects on the first pass)
    view = ViewState(window=args.metrics_window)

    def say(message: str) -> None:
        print(f"spendtui metrics: {message}", file=sys.stderr, flush=True)

    refresher = MetricsRefresher(
        lambda: engine if refresher.passes <= 1 else engine_for(config),
        lambda now: view.window_for(now.date()),
        args.metrics_window,
        args.top,
        settings,
        rules,
        tz=tz,
        report=say,
    )
    server = _serve(host, port, refresher, args.listen)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    worker = threading.Thread(target=refresher.run, args=(args.interval, stop), name="spendtui-metrics", daemon=True)
    try:
        where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        say(f"serving http://{where}/metrics (window {args.metrics_window}, every {args.interval:g} s)")
        worker.start()
        while not stop.wait(3600):
            pass
    finally:
        server.shutdown()
        server.server_close()
        worker.join(STOP_GRACE)
        if not worker.is_alive():  # (a pass stuck on the source is left to the exit)
            refresher.close()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        say(f"stopped after {refresher.passes} refresh(es)")
    return 0


def _serve(host: str, port: int, refresher: MetricsRefresher, text: str) -> WSGIServer:
    """The HTTP server, listening already (a daemon thread), or ListenError."""
    from prometheus_client import CollectorRegistry, start_http_server

    registry = CollectorRegistry(auto_describe=False)
    registry.register(SnapshotCollector(refresher))
    try:
        server, _thread = start_http_server(port, addr=host, registry=registry)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ListenError(f"--listen {text}: cannot listen there ({reason})") from None
    return server
