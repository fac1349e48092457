"""Spend rules' events to their channels, once per rule, scope, period and channel.

``core.rules.transitions`` turns a rule's result and its state into events (``firing``,
``resolved``); the state is what the alert ledger holds for that rule, scope, period and
channel, so each channel keeps its own: a webhook that was down gets the event on the next
run, the others do not get it twice. In the ledger a rule's entry is ``budget`` =
``rule:NAME|SCOPE``, ``threshold`` = the event (``firing``/``resolved``), ``window`` = the
period key. A webhook gets ``{"text": ...}`` (Slack-compatible, as budget alerts); an
address gets one plain-text message with an HTML part.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import TYPE_CHECKING

from spendtui.budgets.email import SmtpSession, mask_address
from spendtui.budgets.ledger import AlertLedger
from spendtui.budgets.notify import post_webhook, webhook_label
from spendtui.budgets.smtp_config import SmtpSettings
from spendtui.core.rules import Channel, RuleEvent, RuleKey, RuleResult, transitions
from spendtui.core.thresholds import EMAIL_CHANNEL_PREFIX

if TYPE_CHECKING:
    import httpx

RULE_PREFIX = "rule:"
SYMBOL = {"firing": "▲", "resolved": "✓"}


@dataclass(frozen=True)
class RuleDelivery:
    """One event to one channel: sent, failed (``error``), or only planned (dry run)."""

    event: RuleEvent
    channel: str
    ok: bool
    error: str | None = None


def channel_id(channel: Channel) -> str:
    """What the ledger hashes for a channel (as ``AlertTarget.channel_id``)."""
    return channel.target if channel.kind == "webhook" else f"{EMAIL_CHANNEL_PREFIX}{channel.target}"


def channel_label(channel: Channel | str) -> str:
    """``webhook hooks.slack.com``, ``email a***@company.com``, or the log's name."""
    if isinstance(channel, str):
        return channel
    if channel.kind == "webhook":
        return f"webhook {webhook_label(channel.target)}"
    return f"email {mask_address(channel.target)}"


def _entry(ledger: AlertLedger, scope: str, key: RuleKey, state: str, channel: str) -> dict[str, str]:
    name, scope_text, period = key
    return ledger.entry(scope, f"{RULE_PREFIX}{name}|{scope_text}", state, period, channel)


def previous_state(ledger: AlertLedger, scope: str, key: RuleKey, channel: str) -> str | None:
    """``resolved``, ``firing`` or None: what ``channel`` was told of ``key``'s period."""
    for state in ("resolved", "firing"):
        if ledger.has(_entry(ledger, scope, key, state, channel)):
            return state
    return None


def events_for(ledger: AlertLedger, scope: str, result: RuleResult, channel: str) -> list[RuleEvent]:
    """The events ``channel`` has not had yet for ``result``'s rule, scope and period."""
    state = previous_state(ledger, scope, result.key, channel)
    return transitions({result.key: state} if state else {}, [result])


def record(ledger: AlertLedger, scope: str, event: RuleEvent, channel: str, at: datetime) -> None:
    ledger.record(_entry(ledger, scope, event.key, event.kind, channel), at)


def rule_text(event: RuleEvent, source: str) -> str:
    """``spendtui (prod): ▲ rule daily spend FIRING: spend of the whole proxy in day …``"""
    word = event.kind.upper()
    return f"spendtui ({source}): {SYMBOL[event.kind]} rule {event.result.rule.name} {word}: {event.result.describe()}"


def rule_message(event: RuleEvent, recipients: list[str], sender: str, source: str) -> EmailMessage:
    """One email for one event: plain text plus an HTML alternative, no links."""
    result = event.result
    rule = result.rule
    word = event.kind.upper()
    headline = f"{word}: rule {rule.name}"
    body = result.describe()
    footer = f"Sent by spendtui (profile {source}). Each rule alerts once per {rule.period} and scope."
    message = EmailMessage()
    message["Subject"] = f"[spendtui] {word}: rule {rule.name}"[:200].replace("\n", " ").replace("\r", " ")
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid("spendtui", domain=sender.partition("@")[2])
    message.set_content(f"{headline}\n\n{body}\n\n{footer}\n")
    message.add_alternative(
        f"<html><body><p><strong>{html.escape(headline)}</strong></p><p>{html.escape(body)}</p>"
        f"<p><small>{html.escape(footer)}</small></p></body></html>\n",
        subtype="html",
    )
    return message


def notify_rules(
    results: Iterable[RuleResult],
    ledger: AlertLedger,
    *,
    scope: str,
    source_label: str,
    now: datetime,
    client: httpx.Client | None,
    smtp: SmtpSettings | None,
    report: Callable[[str], None],
    dry_run: bool = False,
    backoff: float | None = None,
) -> list[RuleDelivery]:
    """Send each rule's new events to each of its channels (or, ``dry_run``, only list
    them); record what went. A failed channel is retried on the next run."""
    out: list[RuleDelivery] = []
    session = SmtpSession(smtp) if smtp is not None and not dry_run else None
    try:
        for result in results:
            for channel in result.rule.channels:
                cid = channel_id(channel)
                for event in events_for(ledger, scope, result, cid):
                    label = channel_label(channel)
                    if dry_run:
                        out.append(RuleDelivery(event, label, True))
                        continue
                    error = _send(event, channel, client, session, source_label, backoff)
                    out.append(RuleDelivery(event, label, error is None, error))
                    if error is None:
                        record(ledger, scope, event, cid, now)
                    else:
                        report(f"rule {result.rule.name}: {event.kind} not sent to {label}: {error}")
    finally:
        if session is not None:
            session.close()
    return out


def _send(
    event: RuleEvent,
    channel: Channel,
    client: httpx.Client | None,
    session: SmtpSession | None,
    source: str,
    backoff: float | None,
) -> str | None:
    if channel.kind == "webhook":
        if client is None:
            return "no HTTP client"
        ok, attempts, error = post_webhook(client, channel.target, rule_text(event, source), backoff=backoff)
        return None if ok else f"{error} after {attempts} attempt(s)"
    if session is None:
        return "no smtp: block configured"
    failed = session.send(rule_message(event, [channel.target], session.settings.sender, source), [channel.target])
    return failed.get(channel.target)
