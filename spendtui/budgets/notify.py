"""Budget alerts to webhooks and email: every new crossing goes to each of its targets.

Webhooks get a Slack-compatible ``{"text": ...}`` POST: Slack and Mattermost incoming
webhooks take the body as it is; Discord takes it at its Slack-compatible address (the
webhook URL with ``/slack`` appended). Each webhook gets one message listing its new
crossings. A failed POST (connection error, timeout, HTTP 5xx or 429) is retried with
exponential backoff. Email gets one message per crossing (``spendtui.budgets.email``),
to every address of that threshold not yet sent. A failed channel never stops the
others, and an alert is recorded per channel only once delivered, so the next run tries
again. Webhook URLs are secrets: only their host is ever printed; addresses are masked.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

import httpx

from spendtui.budgets.board import BudgetBoard
from spendtui.budgets.config import BudgetSettings
from spendtui.budgets.email import SmtpSession, alert_message, mask_address
from spendtui.budgets.ledger import AlertLedger
from spendtui.core.alerts import Crossing, crossings
from spendtui.core.budget_eval import LEVEL_SYMBOL
from spendtui.core.budget_state import BudgetState
from spendtui.core.thresholds import AlertTarget
from spendtui.money import format_usd_auto, used_percent

ATTEMPTS = 3
#: Seconds before the first retry; doubled for each further one.
BACKOFF = 1.0
TIMEOUT = 10.0
MAX_RETRY_AFTER = 30.0


@dataclass
class Delivery:
    """What happened to one webhook, or to one email message's recipients."""

    label: str
    alerts: int
    ok: bool
    attempts: int
    error: str | None = None
    channel: str = "webhook"
    #: Email: how many addresses (all delivered when ``ok``, all failed otherwise).
    recipients: int = 0


@dataclass
class NotifyResult:
    deliveries: list[Delivery] = field(default_factory=list)
    #: Crossings already notified in their window (not sent again).
    already_sent: int = 0

    @property
    def failed(self) -> list[Delivery]:
        return [d for d in self.deliveries if not d.ok]

    def of(self, channel: str, ok: bool) -> list[Delivery]:
        """The deliveries of one channel (``webhook``, ``email``) that went, or failed."""
        return [d for d in self.deliveries if d.channel == channel and d.ok == ok]


def webhook_label(url: str) -> str:
    """``hooks.slack.com`` (with a port when there is one): never the secret path."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    return f"{host}:{parts.port}" if parts.port else host


def post_webhook(
    client: httpx.Client,
    url: str,
    text: str,
    *,
    attempts: int = ATTEMPTS,
    backoff: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[bool, int, str | None]:
    """POST ``{"text": text}``; retry transient failures. (ok, attempts made, last error)."""
    delay = BACKOFF if backoff is None else backoff
    error: str | None = None
    for attempt in range(1, attempts + 1):
        wait = delay * 2 ** (attempt - 1)
        try:
            response = client.post(url, json={"text": text})
        except httpx.TimeoutException:
            error = "timed out"
        except httpx.TransportError as exc:
            error = f"cannot connect ({type(exc).__name__})"
        else:
            if response.status_code < 300:
                return True, attempt, None
            error = f"HTTP {response.status_code}"
            if response.status_code == 429:
                wait = _retry_after(response, wait)
            elif response.status_code < 500:
                return False, attempt, error  # the URL or the body is wrong: retrying won't help
        if attempt < attempts:
            sleep(wait)
    return False, attempts, error


def _retry_after(response: httpx.Response, default: float) -> float:
    try:
        return min(max(float(response.headers.get("retry-after", default)), 0.0), MAX_RETRY_AFTER)
    except ValueError:
        return default


def budget_label(state: BudgetState) -> str:
    """``team Alpha`` or ``plan web-app (tag project:web-app)``: a budget in one message line."""
    return f"{state.kind} {state.name}" + (f" ({state.scope})" if state.scope else "")


def _line(group: list[Crossing]) -> str:
    """One budget's new crossings (for one webhook) as one line."""
    b = group[0].budget
    state = b.state
    level = "exceeded" if any(c.level == "exceeded" for c in group) else "warning"
    head = f"{LEVEL_SYMBOL[level]} {'EXCEEDED' if level == 'exceeded' else 'WARNING'}"
    what = budget_label(state)
    crossed = ", ".join(c.threshold.label for c in group)
    limit = format_usd_auto(b.limit) if b.limit is not None else "no limit"
    percent = f" ({used_percent(b.spend, b.limit, 1)})" if b.percent is not None and b.limit else ""
    parts = [f"{head}: {what} crossed {crossed}: {format_usd_auto(b.spend)} of {limit}{percent}"]
    if b.window.end is not None:
        parts.append(f"window ends {b.window.end:%Y-%m-%d %H:%M} UTC")
        if b.forecast.projected_at_end is not None:
            parts.append(f"projected {format_usd_auto(b.forecast.projected_at_end)}")
    if b.forecast.runs_out_at is not None:
        parts.append(f"runs out {b.forecast.runs_out_at:%Y-%m-%d %H:%M} UTC")
    return "; ".join(parts)


def alert_text(items: list[Crossing], source: str) -> str:
    """The message: a headline, then one line per budget with its new crossings."""
    groups: dict[str, list[Crossing]] = {}
    for crossing in items:
        groups.setdefault(crossing.budget.state.uid, []).append(crossing)
    noun = "budget alert" if len(groups) == 1 else "budget alerts"
    return "\n".join([f"spendtui ({source}): {len(groups)} {noun}", *(_line(g) for g in groups.values())])


def targets_for(crossing: Crossing, settings: BudgetSettings) -> list[AlertTarget]:
    """Channels for a crossing: the global ``budget_alerts`` plus the budget's own, each
    channel once."""
    state = crossing.budget.state
    own: tuple[AlertTarget, ...] = ()
    if state.kind == "plan":
        own = next((p.alerts for p in settings.plans if p.name == state.id), ())
    else:
        override = settings.override_for(state.kind, state.id, state.name)
        own = override.alerts if override else ()
    key = crossing.threshold.key
    unique: dict[str, AlertTarget] = {}
    for target in (*settings.alerts, *own):
        if target.threshold.key == key:
            unique.setdefault(target.channel_id, target)
    return list(unique.values())


def pending_alerts(
    board: BudgetBoard, settings: BudgetSettings, ledger: AlertLedger, scope: str
) -> list[tuple[Crossing, AlertTarget]]:
    """What ``notify`` would send now: each crossing with each channel it has not been
    sent to in its window (``check --dry-run``; nothing is sent or recorded)."""
    out = []
    for crossing in crossings(board.budgets):
        b = crossing.budget
        for target in targets_for(crossing, settings):
            entry = ledger.entry(scope, b.state.uid, crossing.threshold.key, b.window.key, target.channel_id)
            if not ledger.has(entry):
                out.append((crossing, target))
    return out


def target_label(target: AlertTarget) -> str:
    """``webhook hooks.slack.com`` or ``email a***@company.com``: never a secret."""
    if target.webhook is not None:
        return f"webhook {webhook_label(target.webhook)}"
    return f"email {mask_address(target.email or '')}"


def notify(
    board: BudgetBoard,
    settings: BudgetSettings,
    ledger: AlertLedger,
    *,
    scope: str,
    source_label: str,
    now: datetime,
    client: httpx.Client,
    report: Callable[[str], None],
    backoff: float | None = None,
) -> NotifyResult:
    """Send every crossing not yet sent in its window to its channels; record what went."""
    result = NotifyResult()
    pending: dict[str, list[tuple[Crossing, dict[str, str]]]] = {}
    mail: list[tuple[Crossing, dict[str, dict[str, str]]]] = []
    current = crossings(board.budgets)
    for budget in board.budgets:
        if budget.window.start is None:
            ledger.rearm(scope, budget.state.uid, [t.key for t in budget.crossed])
    for crossing in current:
        b = crossing.budget
        addresses: dict[str, dict[str, str]] = {}
        for target in targets_for(crossing, settings):
            entry = ledger.entry(scope, b.state.uid, crossing.threshold.key, b.window.key, target.channel_id)
            if ledger.has(entry):
                result.already_sent += 1
            elif target.webhook is not None:
                pending.setdefault(target.webhook, []).append((crossing, entry))
            elif target.email is not None:
                addresses[target.email] = entry
        if addresses:
            mail.append((crossing, addresses))
    for url, items in pending.items():
        label = webhook_label(url)
        text = alert_text([c for c, _ in items], source_label)
        ok, attempts, error = post_webhook(client, url, text, backoff=backoff)
        result.deliveries.append(Delivery(label, len(items), ok, attempts, error))
        if ok:
            for _, entry in items:
                ledger.record(entry, now)
        else:
            report(f"webhook {label}: {len(items)} alert(s) not delivered after {attempts} attempt(s): {error}")
    if mail:
        _send_mail(mail, settings, ledger, result, source_label=source_label, now=now, report=report)
    ledger.prune(now)
    return result


def _send_mail(
    mail: list[tuple[Crossing, dict[str, dict[str, str]]]],
    settings: BudgetSettings,
    ledger: AlertLedger,
    result: NotifyResult,
    *,
    source_label: str,
    now: datetime,
    report: Callable[[str], None],
) -> None:
    """One message per crossing to its pending addresses, over one SMTP connection."""
    smtp = settings.smtp
    if smtp is None:  # the config check refuses email targets without smtp:
        report("email: no smtp: block configured; email alerts not sent")
        return
    with SmtpSession(smtp) as session:
        for crossing, addresses in mail:
            recipients = list(addresses)
            failed = session.send(alert_message(crossing, recipients, smtp.sender, source_label), recipients)
            delivered = [a for a in recipients if a not in failed]
            for address in delivered:
                ledger.record(addresses[address], now)
            if delivered:
                label = ", ".join(mask_address(a) for a in delivered)
                result.deliveries.append(Delivery(label, 1, True, 1, None, "email", len(delivered)))
            problems: dict[str, list[str]] = {}
            for address, problem in failed.items():
                problems.setdefault(problem, []).append(address)
            for problem, group in problems.items():
                label = ", ".join(mask_address(a) for a in group)
                result.deliveries.append(Delivery(label, 1, False, 1, problem, "email", len(group)))
                report(f"email to {label} via {smtp.label}: {problem}")
