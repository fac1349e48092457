"""Budget alerts by email: one message per alert event, sent with the standard library.

An alert event is one budget crossing one threshold in its window; its message goes to
every address configured for that threshold that has not had it yet (one ``To:`` list),
as plain text with a short HTML alternative (every value escaped), and holds no links.
``SmtpSession`` opens one connection per run (STARTTLS or implicit TLS with a
certificate-verifying context, then AUTH when a username is set) and turns every failure
into one line: ``authentication failed (535 ...)``, ``TLS failure: ...``, ``timed out
after 10 s``, ``cannot connect (connection refused)``, ``recipient refused (550 ...)``.
Addresses are masked in those lines (``a***@example.com``); the password never appears.
"""

from __future__ import annotations

import html
import smtplib
import socket
import ssl
from collections.abc import Sequence
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from types import TracebackType

from spendtui.budgets.smtp_config import SmtpSettings
from spendtui.core.alerts import Crossing
from spendtui.money import format_usd_auto, used_percent

_WHEN = "%Y-%m-%d %H:%M UTC"
_MAX_REPLY = 160


def mask_address(address: str) -> str:
    """``a***@example.com``: the local part beyond its first character is hidden."""
    local, at, domain = address.partition("@")
    return f"{local[:1]}***{at}{domain}"


def _one_line(text: str) -> str:
    """Budget names come from the database: no line breaks or control characters in headers."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())


def _until(delta: timedelta) -> str:
    """``3d 12h``, ``5h 10m``, ``12m``: how long until a window resets."""
    minutes = int(delta.total_seconds()) // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    return f"{hours}h {minutes}m" if hours else f"{minutes}m"


def _budget_name(crossing: Crossing) -> str:
    state = crossing.budget.state
    return _one_line(f"{state.kind} {state.name}")


def subject(crossing: Crossing) -> str:
    """``[spendtui] EXCEEDED: team Alpha at 104% of $500.00``; a warning also names its
    threshold (``(threshold 80%)``), a soft budget says so."""
    b = crossing.budget
    state = "EXCEEDED" if crossing.level == "exceeded" else "WARNING"
    if crossing.threshold.is_soft:
        soft = b.state.soft_budget
        tail = f"over its soft budget ({format_usd_auto(b.spend)} of {format_usd_auto(soft or 0)})"
    elif b.limit:
        tail = f"at {used_percent(b.spend, b.limit)} of {format_usd_auto(b.limit)}"
        if crossing.threshold.fraction != 1:
            tail += f" (threshold {crossing.threshold.label})"
    else:
        tail = f"at {format_usd_auto(b.spend)} of a $0 budget"
    return f"[spendtui] {state}: {_budget_name(crossing)} {tail}"


def facts(crossing: Crossing) -> list[tuple[str, str]]:
    """What the message says, as (label, value) rows: the same facts as a webhook's line."""
    b = crossing.budget
    what = _budget_name(crossing) + (f" ({_one_line(b.state.scope)})" if b.state.scope else "")
    threshold = crossing.threshold
    rows = [("Budget", what)]
    if threshold.is_soft:
        rows.append(("Threshold", f"soft budget ({format_usd_auto(b.state.soft_budget or 0)})"))
    elif b.limit is not None:
        at = int(threshold.amount(b.limit).to_integral_value())
        rows.append(("Threshold", f"{threshold.label} ({format_usd_auto(at)})"))
    rows.append(("Spent", format_usd_auto(b.spend)))
    if b.limit is not None:
        rows.append(("Limit", format_usd_auto(b.limit) + (" (soft budget)" if b.limit_is_soft else "")))
        if b.limit > 0:
            rows.append(("Used", used_percent(b.spend, b.limit, 1)))
        remaining = b.limit - b.spend
        rows.append(
            ("Over by", format_usd_auto(-remaining)) if remaining < 0 else ("Remaining", format_usd_auto(remaining))
        )
    if b.window.end is not None:
        resets = f"{b.window.end:{_WHEN}}"
        if b.resets_in is not None:
            resets += f" (in {_until(b.resets_in)})"
        rows.append(("Resets", resets))
        if b.forecast.projected_at_end is not None:
            rows.append(("Projected at reset", format_usd_auto(b.forecast.projected_at_end)))
    else:
        rows.append(("Window", "never resets"))
    if b.forecast.runs_out_at is not None:
        rows.append(("Runs out", f"{b.forecast.runs_out_at:{_WHEN}} at the current rate"))
    rows.append(("Checked at", f"{b.now:{_WHEN}}"))
    return rows


def alert_message(crossing: Crossing, recipients: Sequence[str], sender: str, source: str) -> EmailMessage:
    """The message for one alert event: plain text plus an HTML alternative."""
    level = "EXCEEDED" if crossing.level == "exceeded" else "WARNING"
    name = _budget_name(crossing)
    headline = f"{level}: {name} crossed its {crossing.threshold.label} threshold."
    if crossing.threshold.is_soft:
        headline = f"{level}: {name} is over its soft budget."
    rows = facts(crossing)
    footer = (
        f"Sent by spendtui check --notify (profile {_one_line(source)}). "
        "Each budget and threshold is alerted once per window."
    )
    width = max(len(label) for label, _ in rows) + 2
    text = "\n".join([headline, "", *(f"{label:<{width}}{value}" for label, value in rows), "", footer, ""])
    cells = "".join(
        f"<tr><th align='left'>{html.escape(label)}</th><td>{html.escape(value)}</td></tr>" for label, value in rows
    )
    markup = (
        f"<html><body><p><strong>{html.escape(headline)}</strong></p>"
        f"<table cellpadding='4'>{cells}</table><p><small>{html.escape(footer)}</small></p></body></html>\n"
    )
    message = EmailMessage()
    message["Subject"] = subject(crossing)
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid("spendtui", domain=sender.partition("@")[2])
    message.set_content(text)
    message.add_alternative(markup, subtype="html")
    return message


class SmtpSession:
    """One SMTP connection for a run, opened on the first ``send``.

    A connection, TLS or login failure is remembered: every later ``send`` of the run
    reports it at once instead of waiting out the timeout again."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._client: smtplib.SMTP | None = None
        self._broken: str | None = None

    def __enter__(self) -> SmtpSession:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        try:
            client.quit()
        except (smtplib.SMTPException, OSError):
            client.close()

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        stage = "connect"
        try:
            context = ssl.create_default_context(cafile=s.cafile)
            client: smtplib.SMTP
            if s.ssl:
                client = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=context)
            else:
                client = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            try:
                if s.starttls:
                    stage = "starttls"
                    client.ehlo()
                    client.starttls(context=context)
                    client.ehlo()
                if s.username is not None and s.password is not None:
                    stage = "login"
                    client.login(s.username, s.password)
            except BaseException:
                client.close()
                raise
        except (OSError, smtplib.SMTPException, ValueError) as exc:  # ValueError: a host IDNA cannot encode
            self._broken = self.describe(exc, stage)
            raise
        return client

    def send(self, message: EmailMessage, recipients: Sequence[str]) -> dict[str, str]:
        """Send ``message`` to ``recipients``; {address: problem} for those it did not reach."""
        if self._broken is not None:
            return dict.fromkeys(recipients, self._broken)
        try:
            if self._client is None:
                self._client = self._connect()
            refused = self._client.send_message(message, self.settings.sender, list(recipients))
        except smtplib.SMTPRecipientsRefused as exc:
            return {a: self.describe(exc, "rcpt", a) for a in recipients}
        except (OSError, smtplib.SMTPException, ValueError) as exc:
            problem = self._broken or self.describe(exc, "send")
            if not isinstance(exc, smtplib.SMTPResponseException):
                self.close()  # the connection is gone or in an unknown state: a new one next time
            return dict.fromkeys(recipients, problem)
        return {a: self._reply_problem("recipient refused", *refused[a]) for a in refused}

    def _reply_problem(self, what: str, code: int, reply: bytes | str) -> str:
        text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
        text = _one_line(text)
        if self.settings.password:
            text = text.replace(self.settings.password, "***")
        if len(text) > _MAX_REPLY:
            text = text[: _MAX_REPLY - 1] + "…"
        return f"{what} ({code} {text})".replace(" )", ")")

    def describe(self, exc: BaseException, stage: str, address: str = "") -> str:
        """One line for a failure at ``stage`` (connect, starttls, login, rcpt, send)."""
        timeout = f"timed out after {self.settings.timeout:g} s"
        if isinstance(exc, smtplib.SMTPAuthenticationError):
            return self._reply_problem("authentication failed", exc.smtp_code, exc.smtp_error)
        if isinstance(exc, smtplib.SMTPNotSupportedError):
            if stage == "starttls":
                return "TLS failure: the server does not offer STARTTLS (try ssl: true, or starttls: false)"
            if stage == "login":
                return "authentication failed: the server does not offer AUTH"
            return f"not supported by the server ({_one_line(str(exc))})"
        if isinstance(exc, smtplib.SMTPRecipientsRefused):
            code, reply = exc.recipients.get(address) or next(iter(exc.recipients.values()), (0, b""))
            return self._reply_problem("recipient refused", code, reply)
        if isinstance(exc, smtplib.SMTPSenderRefused):
            return self._reply_problem(
                f"sender {mask_address(self.settings.sender)} refused", exc.smtp_code, exc.smtp_error
            )
        if isinstance(exc, smtplib.SMTPResponseException):
            what = {"connect": "connection refused by the server", "starttls": "STARTTLS refused"}
            return self._reply_problem(what.get(stage, f"{stage} refused"), exc.smtp_code, exc.smtp_error)
        if isinstance(exc, smtplib.SMTPServerDisconnected):
            if isinstance(exc.__context__, TimeoutError):
                return timeout
            during = " during TLS" if stage == "starttls" else ""
            return f"the server closed the connection{during}"
        if isinstance(exc, smtplib.SMTPException):
            return f"{stage} failed ({_one_line(str(exc))})"
        if isinstance(exc, ssl.SSLCertVerificationError):
            reason = exc.verify_message or exc.reason or "verification failed"
            return f"TLS failure: the server's certificate is not trusted ({reason}; smtp.cafile trusts a private CA)"
        if isinstance(exc, ssl.SSLError):
            hint = (
                " (is it an implicit-TLS port? check ssl and starttls)" if exc.reason == "WRONG_VERSION_NUMBER" else ""
            )
            return f"TLS failure ({exc.reason or type(exc).__name__}){hint}"
        if isinstance(exc, TimeoutError):
            return timeout
        if isinstance(exc, ConnectionRefusedError):
            return "cannot connect (connection refused)"
        if isinstance(exc, socket.gaierror):
            return f"cannot resolve the host ({exc.strerror or exc})"
        if isinstance(exc, OSError):
            return f"cannot connect ({exc.strerror or type(exc).__name__})"
        return f"{stage} failed ({type(exc).__name__})"
