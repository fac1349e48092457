"""Email alerts: ``spendtui check --notify`` against real SMTP servers on 127.0.0.1
(aiosmtpd: plain, STARTTLS with AUTH, implicit TLS; a self-signed CA from trustme), and
the ``smtp:`` block's validation."""

from __future__ import annotations

import hashlib
import json
import socket
import ssl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spendtui.budgets.config import budget_settings
from spendtui.budgets.email import alert_message, mask_address, subject
from spendtui.cli import main
from spendtui.cli.common import load_checked_config
from spendtui.config import Overrides
from spendtui.core.alerts import Crossing
from spendtui.core.budget_eval import evaluate
from spendtui.core.budget_state import BudgetState
from spendtui.core.thresholds import Threshold
from spendtui.errors import ConfigError
from spendtui.money import PICO, format_usd, usd_to_pico, used_percent
from tests.helpers import FIXED_NOW
from tests.truth import Truth
from tests.webhooks import Hooks

NOW = FIXED_NOW.isoformat()
USER, PASSWORD = "alerts", "Tr0ub4dor&3-not-in-logs"
OPS, FINANCE = "ops@company.com", "finance@company.com"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Mailbox:
    """An aiosmtpd handler that keeps every message it accepts; ``nobody@`` is refused."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], EmailMessage]] = []

    async def handle_RCPT(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address.startswith("nobody@"):
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        content = envelope.original_content or b""
        message = message_from_bytes(content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.received.append((str(envelope.mail_from), list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


def authenticator(server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (USER.encode(), PASSWORD.encode())
    return AuthResult(success=ok, handled=False)


@contextmanager
def smtp_server(port: int | None = None, **options: Any) -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    port = port or free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def cafile(ca: trustme.CA, tmp_path: Path) -> Path:
    path = tmp_path / "private-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


@pytest.fixture
def server_tls(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    return context


@pytest.fixture
def plan(litellm_db: Path) -> dict[str, int]:
    """A November plan at about 104 % of its amount: spend and limit in pico-dollars
    from SQL, the limit a whole number of cents."""
    spend = Truth(f"sqlite:///{litellm_db}").total(date(2026, 11, 1), FIXED_NOW.date())[0]
    limit = usd_to_pico(round(Decimal(repr(spend)) / Decimal("1.04"), 2))
    return {"spend": usd_to_pico(Decimal(repr(spend))), "limit": limit}


def write_config(tmp_path: Path, smtp: dict[str, Any], alerts: list[dict[str, Any]], limit: int) -> Path:
    doc = {
        "smtp": smtp,
        "budget_alerts": alerts,
        "budgets": [{"name": "november", "amount": str(Decimal(limit) / PICO), "period": "monthly"}],
    }
    path = tmp_path / "config.yaml"
    path.write_text(json.dumps(doc))
    path.chmod(0o600)
    return path


def check(capsys: pytest.CaptureFixture[str], db: Path, config: Path) -> tuple[str, str]:
    main(["check", "--db", f"sqlite:///{db}", "--now", NOW, "--kind", "plan", "--config", str(config), "--notify"])
    out = capsys.readouterr()
    return out.out, out.err


def state_text(tmp_path: Path) -> str:
    path = tmp_path / "state" / "spendtui" / "alerts.json"
    return path.read_text() if path.exists() else ""


def test_one_message_per_event_with_both_parts_and_once_per_window(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, litellm_db: Path, plan: dict[str, int], hooks: Hooks
) -> None:
    with smtp_server() as (box, port):
        smtp = {"host": "127.0.0.1", "port": port, "from": "spendtui@company.com", "starttls": False}
        alerts = [
            {"threshold": 0.8, "email": [OPS, FINANCE]},
            {"threshold": 1.0, "email": OPS, "webhook": hooks.url("/over")},
        ]
        config = write_config(tmp_path, smtp, alerts, plan["limit"])
        _, err = check(capsys, litellm_db, config)
        assert "2 email(s) sent to 3 address(es)" in err and "1 alert(s) sent to 1 webhook(s)" in err, err
        assert len(box.received) == 2  # one message per event (budget, threshold)
        by_subject = {m["Subject"]: (sender, rcpt, m) for sender, rcpt, m in box.received}
        spent, limit = format_usd(plan["spend"]), format_usd(plan["limit"])
        percent = used_percent(plan["spend"], plan["limit"])
        exceeded = f"[spendtui] EXCEEDED: plan november at {percent} of {limit}"
        warning = f"[spendtui] WARNING: plan november at {percent} of {limit} (threshold 80%)"
        assert set(by_subject) == {exceeded, warning}
        sender, rcpt, message = by_subject[warning]
        assert sender == "spendtui@company.com" and rcpt == [OPS, FINANCE]
        assert message["From"] == "spendtui@company.com" and message["To"] == f"{OPS}, {FINANCE}"
        _, rcpt, over = by_subject[exceeded]
        assert rcpt == [OPS] and over["To"] == OPS
        for msg, threshold, at in ((message, "80%", plan["limit"] * 8 // 10), (over, "100%", plan["limit"])):
            assert msg.get_content_type() == "multipart/alternative"
            text = msg.get_body(("plain",))
            markup = msg.get_body(("html",))
            assert text is not None and markup is not None
            body, page = text.get_content(), markup.get_content()
            for fact in ("plan november (all spend)", f"{threshold} ({format_usd(at)})", spent, limit):
                assert fact in body and fact in page, fact
            assert "Resets              2026-12-01 00:00 UTC (in 3d 12h)" in body
            assert "http" not in body and "<a " not in page  # link-free
        assert len(hooks.posts("/over")) == 1  # the webhook of the same entry

        box.received.clear()
        _, err = check(capsys, litellm_db, config)
        assert box.received == [] and hooks.posts("/over") and len(hooks.posts("/over")) == 1
        assert "0 email(s) sent" in err and "4 already sent in their window" in err
    state = state_text(tmp_path)
    assert OPS not in state and FINANCE not in state  # the ledger holds hashes only


def test_starttls_auth_password_from_environment(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    litellm_db: Path,
    plan: dict[str, int],
    hooks: Hooks,
    server_tls: ssl.SSLContext,
    cafile: Path,
) -> None:
    monkeypatch.setenv("SMTP_PASSWORD", "wrong-" + PASSWORD)
    options = {"tls_context": server_tls, "require_starttls": True, "authenticator": authenticator}
    with smtp_server(**options) as (box, port):
        smtp = {
            "host": "127.0.0.1",
            "port": port,
            "from": "spendtui@company.com",
            "username": USER,
            "password": "os.environ/SMTP_PASSWORD",
            "starttls": True,
            "cafile": str(cafile),
        }
        alerts = [{"threshold": 1.0, "email": [OPS], "webhook": hooks.url("/over")}]
        config = write_config(tmp_path, smtp, alerts, plan["limit"])
        out, err = check(capsys, litellm_db, config)
        assert box.received == []
        assert f"email to o***@company.com via 127.0.0.1:{port}: authentication failed (535" in err, err
        assert "1 email(s) failed" in err and len(hooks.posts("/over")) == 1  # the webhook still went
        assert PASSWORD not in out + err and OPS not in err

        monkeypatch.setenv("SMTP_PASSWORD", PASSWORD)
        out, err = check(capsys, litellm_db, config)  # not recorded: retried, now delivered
        [(_, rcpt, message)] = box.received
        assert rcpt == [OPS] and message["Subject"].startswith("[spendtui] EXCEEDED: plan november")
        assert "1 email(s) sent to 1 address(es)" in err and "1 already sent" in err
        assert len(hooks.posts("/over")) == 1 and PASSWORD not in out + err + state_text(tmp_path)


def test_implicit_tls(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    litellm_db: Path,
    plan: dict[str, int],
    server_tls: ssl.SSLContext,
    cafile: Path,
) -> None:
    with smtp_server(ssl_context=server_tls) as (box, port):
        smtp = {"host": "127.0.0.1", "port": port, "from": "a@b.example", "ssl": True, "cafile": "private-ca.pem"}
        config = write_config(tmp_path, smtp, [{"threshold": 1.0, "email": OPS}], plan["limit"])
        _, err = check(capsys, litellm_db, config)  # cafile relative to the config file
        assert "1 email(s) sent" in err, err
        [(_, rcpt, _)] = box.received
        assert rcpt == [OPS]


def test_untrusted_certificate_is_a_tls_failure(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    litellm_db: Path,
    plan: dict[str, int],
    server_tls: ssl.SSLContext,
) -> None:
    with smtp_server(tls_context=server_tls, require_starttls=True) as (box, port):
        smtp = {"host": "127.0.0.1", "port": port, "from": "a@b.example"}  # starttls by default, no cafile
        config = write_config(tmp_path, smtp, [{"threshold": 1.0, "email": OPS}], plan["limit"])
        _, err = check(capsys, litellm_db, config)
        assert box.received == []
        assert f"email to o***@company.com via 127.0.0.1:{port}: TLS failure: the server's certificate" in err, err
        assert "not trusted" in err


def test_no_starttls_offered_is_a_tls_failure(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, litellm_db: Path, plan: dict[str, int]
) -> None:
    with smtp_server() as (box, port):
        smtp = {"host": "127.0.0.1", "port": port, "from": "a@b.example", "starttls": True}
        config = write_config(tmp_path, smtp, [{"threshold": 1.0, "email": OPS}], plan["limit"])
        _, err = check(capsys, litellm_db, config)
        assert box.received == [] and "TLS failure: the server does not offer STARTTLS" in err, err


def test_refused_connection_is_retried_on_the_next_run(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, litellm_db: Path, plan: dict[str, int]
) -> None:
    port = free_port()  # nothing listens there yet
    smtp = {"host": "127.0.0.1", "port": port, "from": "a@b.example", "starttls": False}
    alerts = [{"threshold": 0.8, "email": OPS}, {"threshold": 1.0, "email": OPS}]
    config = write_config(tmp_path, smtp, alerts, plan["limit"])
    _, err = check(capsys, litellm_db, config)
    lines = [line for line in err.splitlines() if line.startswith("spendtui: email to")]
    assert (
        lines == [f"spendtui: email to o***@company.com via 127.0.0.1:{port}: cannot connect (connection refused)"] * 2
    )
    assert "2 email(s) failed" in err
    with smtp_server(port=port) as (box, _):
        _, err = check(capsys, litellm_db, config)
        assert len(box.received) == 2 and "2 email(s) sent" in err
        _, err = check(capsys, litellm_db, config)
        assert len(box.received) == 2 and "2 already sent" in err


def test_silent_server_times_out(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, litellm_db: Path, plan: dict[str, int]
) -> None:
    with socket.socket() as silent:  # the kernel accepts connections; nobody ever answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        smtp = {"host": "127.0.0.1", "port": port, "from": "a@b.example", "starttls": False, "timeout": 0.3}
        alerts = [{"threshold": 0.8, "email": OPS}, {"threshold": 1.0, "email": [OPS, FINANCE]}]
        config = write_config(tmp_path, smtp, alerts, plan["limit"])
        started = time.monotonic()
        _, err = check(capsys, litellm_db, config)
        assert time.monotonic() - started < 5  # the timeout is waited out once per run, not per message
    assert f"email to o***@company.com, f***@company.com via 127.0.0.1:{port}: timed out after 0.3 s" in err, err
    assert "2 email(s) failed" in err and state_text(tmp_path).count('"budget"') == 0


def test_refused_recipient_is_reported_and_the_others_delivered(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, litellm_db: Path, plan: dict[str, int]
) -> None:
    with smtp_server() as (box, port):
        smtp = {"host": "127.0.0.1", "port": port, "from": "a@b.example", "starttls": False}
        alerts = [{"threshold": 1.0, "email": [OPS, "nobody@company.com"]}]
        config = write_config(tmp_path, smtp, alerts, plan["limit"])
        _, err = check(capsys, litellm_db, config)
        [(_, rcpt, _)] = box.received
        assert rcpt == [OPS]
        assert "email to n***@company.com via" in err and "recipient refused (550 5.1.1 mailbox unavailable)" in err
        _, err = check(capsys, litellm_db, config)  # the refused one is tried again, alone
        assert len(box.received) == 1  # nothing new reached the server: OPS had it already
        assert "1 already sent" in err and "email to n***@company.com via" in err and "recipient refused" in err


def test_existing_webhook_state_is_still_honoured(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, litellm_db: Path, plan: dict[str, int], hooks: Hooks
) -> None:
    """A state file written before email existed: a webhook's id is the hash of its URL."""
    url = hooks.url("/old")
    with smtp_server() as (box, port):
        smtp = {"host": "127.0.0.1", "port": port, "from": "a@b.example", "starttls": False}
        config = write_config(tmp_path, smtp, [{"threshold": 1.0, "webhook": url, "email": OPS}], plan["limit"])
        check(capsys, litellm_db, config)
        [entry] = [e for e in json.loads(state_text(tmp_path))["sent"] if e["webhook"] != _hash(f"email:{OPS}")]
        assert entry["webhook"] == _hash(url)
        assert len(hooks.posts("/old")) == 1 and len(box.received) == 1


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def test_hostile_budget_names_cannot_inject_headers() -> None:
    state = BudgetState("team", "t1", "Alpha\r\nBcc: victim@evil.example", spend=120 * PICO, max_budget=100 * PICO)
    crossing = Crossing(evaluate(state, FIXED_NOW), Threshold(Decimal(1)))
    message = alert_message(crossing, [OPS], "spendtui@company.com", "<b>prod</b>")
    assert message["Bcc"] is None and "\n" not in subject(crossing)
    assert subject(crossing) == "[spendtui] EXCEEDED: team Alpha Bcc: victim@evil.example at 120% of $100.00"
    markup = message.get_body(("html",))
    assert markup is not None and "&lt;b&gt;prod&lt;/b&gt;" in markup.get_content()
    assert mask_address("ann@example.com") == "a***@example.com"
    state = BudgetState("team", "t2", "Équipe Ünïcode", spend=90 * PICO, max_budget=100 * PICO)
    crossing = Crossing(evaluate(state, FIXED_NOW), Threshold(Decimal("0.8")))
    raw = alert_message(crossing, [OPS], "spendtui@company.com", "prod").as_bytes()
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed["Subject"] == "[spendtui] WARNING: team Équipe Ünïcode at 90% of $100.00 (threshold 80%)"


def test_literal_smtp_password_in_a_readable_file_warns(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(f"smtp: {{host: h, from: a@b.example, username: u, password: '{PASSWORD}'}}\n")
    path.chmod(0o644)
    [warning] = load_checked_config(Overrides(config_path=str(path)), env={}).warnings
    assert "holds secrets (smtp.password)" in warning and PASSWORD not in warning
    path.chmod(0o600)
    assert load_checked_config(Overrides(config_path=str(path)), env={}).warnings == ()


SMTP_OK = "smtp: {host: smtp.example.com, from: spendtui@example.com}\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("smtp: {from: a@b.example}", "smtp.host: the SMTP server's host name is required"),
        ("smtp: {host: smtp.example.com}", "smtp.from: the sender address is required"),
        ("smtp: {host: h, from: a@b.example, port: 70000}", "smtp.port: expected a port number from 1 to 65535"),
        ("smtp: {host: h, from: a@b.example, port: '587'}", "smtp.port: expected a port number"),
        ("smtp: {host: h, from: a@b.example, port: true}", "smtp.port: expected a port number"),
        ("smtp: {host: h, from: a@b.example, ssl: true, starttls: true}", "smtp.ssl: ssl (implicit TLS"),
        ("smtp: {host: h, from: a@b.example, ssl: 'yes'}", "smtp.ssl: expected true or false"),
        ("smtp: {host: h, from: a@b.example, timeout: 0}", "smtp.timeout: must be above 0"),
        ("smtp: {host: h, from: a@b.example, timeout: soon}", "smtp.timeout: expected a number of seconds"),
        ("smtp: {host: h, from: 'a b@c.example'}", "smtp.from: an email address has no spaces"),
        ("smtp: {host: h, from: 'a@b@c.example'}", "smtp.from: expected one email address"),
        ("smtp: {host: h, from: '@c.example'}", "smtp.from: expected one email address"),
        ("smtp: {host: h, from: 'a@'}", "smtp.from: expected one email address"),
        ("smtp: {host: h, from: 'Ann <a@c.example>'}", "smtp.from: an email address has no spaces"),
        ("smtp: {host: h, from: 'a@c..example'}", "smtp.from: 'c..example' is not a domain name"),
        ("smtp: {host: 'smtp://h', from: a@b.example}", "smtp.host: expected a host name"),
        ("smtp: {host: 'h.example:587', from: a@b.example}", "smtp.host: give the port as smtp.port"),
        ("smtp: {host: h, from: a@b.example, prot: 25}", "smtp.prot: unknown setting, did you mean `port`?"),
        ("smtp: {host: h, from: a@b.example, username: u}", "smtp.password: a username needs a password too"),
        ("smtp: {host: h, from: a@b.example, password: p}", "smtp.username: a password needs a username too"),
        (
            "smtp: {host: h, from: a@b.example, starttls: false, username: u, password: p}",
            "smtp.password: would be sent in clear text",
        ),
        ("smtp: {host: h, from: a@b.example, password: os.environ/NO_SUCH_SMTP_VAR, username: u}", "NO_SUCH"),
        ("smtp: {host: h, from: a@b.example, cafile: /nonexistent/ca.pem}", "smtp.cafile: no such file"),
        ("smtp: [h]", "smtp: expected dict, got list"),
        ("budget_alerts: [{threshold: 1.0, email: 'ops@'}]", "budget_alerts[0].email: expected one email address"),
        (
            SMTP_OK + "budget_alerts: [{threshold: 1.0, email: [ops@example.com, 'x\\nBcc: y@z.example']}]",
            "budget_alerts[0].email[1]: an email address has no spaces or line breaks",
        ),
        (SMTP_OK + "budget_alerts: [{threshold: 1.0, email: []}]", "budget_alerts[0].email: expected an email"),
        (SMTP_OK + "budget_alerts: [{threshold: 1.0, email: 5}]", "budget_alerts[0].email: expected an email"),
        (
            SMTP_OK + "budgets: [{litellm: 'team:A', alerts: [{threshold: 1.0, email: 'a,b@c.example'}]}]",
            "budgets[0].alerts[0].email: expected a plain address",
        ),
    ],
)
def test_smtp_and_email_errors_name_file_and_key(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    path.chmod(0o600)
    with pytest.raises(ConfigError) as err:
        load_checked_config(Overrides(config_path=str(path)), env={})
    message = str(err.value)
    assert message.startswith(f"{path}: ") and expected in message, message
    assert "\n" not in message


def test_email_without_an_smtp_server_is_a_warning_and_sends_nothing(tmp_path: Path) -> None:
    """LiteLLM's guide writes ``email:`` entries with no server: accepted, said, not sent."""
    path = tmp_path / "config.yaml"
    path.write_text(
        "budget_alerts: [{threshold: 1.0, email: ops@example.com, webhook: 'https://hooks.example.com/x'}]\n"
        "budgets: [{name: x, amount: 1, period: daily, alerts: [{threshold: 0.5, email: [a@b.example]}]}]\n"
    )
    path.chmod(0o600)
    config = load_checked_config(Overrides(config_path=str(path)), env={})
    warnings = [w for w in config.warnings if "no email is sent without an SMTP server" in w]
    assert [w.split(": ")[1] for w in warnings] == ["budget_alerts[0].email", "budgets[0].alerts[0].email"]
    settings = budget_settings(config, env={})
    assert settings.emails == [] and settings.webhooks == ["https://hooks.example.com/x"]


def test_missing_password_variable_names_it_and_secrets_stay_out_of_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("smtp: {host: h, from: a@b.example, username: u, password: os.environ/SMTP_PW_UNSET}\n")
    path.chmod(0o600)
    assert main(["check", "--config", str(path), "--db", "sqlite:///nowhere.db"]) == 2
    err = capsys.readouterr().err
    assert "smtp.password: environment variable SMTP_PW_UNSET is not set" in err and err.count("\n") == 1
    path.write_text("smtp: {host: h, from: a@b.example, username: u, password: [hunter2]}\n")
    assert main(["check", "--config", str(path), "--db", "sqlite:///nowhere.db"]) == 2
    err = capsys.readouterr().err
    assert "smtp.password: expected text, got list" in err and "hunter2" not in err


def test_defaults_and_seed_entry(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(
        "smtp: {host: smtp.company.com, from: spendtui@company.com, username: u, password: os.environ/PW}\n"
        "budget_alerts:\n"
        "  - threshold: 1.0\n"
        '    email: ["admin@company.com", "finance@company.com"]\n'
        '    webhook: "https://hooks.slack.com/services/T/B/X"\n'
    )
    path.chmod(0o600)
    from spendtui.budgets.config import budget_settings

    config = load_checked_config(Overrides(config_path=str(path)), env={"PW": PASSWORD})
    settings = budget_settings(config, {"PW": PASSWORD})
    smtp = settings.smtp
    assert smtp is not None and (smtp.port, smtp.starttls, smtp.ssl, smtp.timeout) == (587, True, False, 10.0)
    assert smtp.password == PASSWORD and PASSWORD not in repr(settings)
    assert [(t.channel, t.channel_id) for t in settings.alerts] == [
        ("webhook", "https://hooks.slack.com/services/T/B/X"),
        ("email", "email:admin@company.com"),
        ("email", "email:finance@company.com"),
    ]
    assert settings.emails == ["admin@company.com", "finance@company.com"]
    for text, port in (("ssl: true", 465), ("starttls: false", 25)):
        path.write_text(f"smtp: {{host: h, from: a@b.example, {text}}}\n")
        assert budget_settings(load_checked_config(Overrides(config_path=str(path)), env={})).smtp.port == port  # type: ignore[union-attr]


def test_a_spend_rule_mails_its_event_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], litellm_db, plan
) -> None:
    """A rule's ``email`` channel gets one message per event, through the smtp: server;
    the next run sends nothing (once per rule, scope and period)."""
    above = round(Decimal(plan["spend"]) / PICO * Decimal("0.9"), 2)
    with smtp_server() as (box, port):
        doc = {
            "smtp": {"host": "127.0.0.1", "port": port, "from": "spendtui@company.com", "starttls": False},
            "rules": [
                {
                    "name": "november spend",
                    "measure": "spend",
                    "period": "month",
                    "above": str(above),
                    "channels": [{"email": [OPS, FINANCE]}],
                }
            ],
        }
        config = tmp_path / "config.yaml"
        config.write_text(json.dumps(doc))
        config.chmod(0o600)
        args = ["check", "--db", f"sqlite:///{litellm_db}", "--now", NOW, "--config", str(config), "--notify"]
        assert main(args) == 2
        err = capsys.readouterr().err
        assert "1 rule event(s) sent" not in err and "2 rule event(s) sent" in err  # (one per address)
        assert sorted(to for _, tos, _ in box.received for to in tos) == [FINANCE, OPS]
        _, _, message = box.received[0]
        assert message["Subject"] == "[spendtui] FIRING: rule november spend"
        body = message.get_body(("plain",))
        assert body is not None and "spend of the whole proxy in month 2026-11" in body.get_content()
        assert format_usd(plan["spend"]) in body.get_content()
        assert message.get_body(("html",)) is not None
        assert main(args) == 2
        assert len(box.received) == 2 and "0 rule event(s) sent" in capsys.readouterr().err


SMTP_KEYS = ["host", "port", "from", "username", "password", "starttls", "ssl", "timeout", "cafile", "hots", "form"]
_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 70_000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["smtp.example.com", "a@b.example", "os.environ/NOPE", "", " ", "x\ny", "h:25", "Ann <a@b.c>"]),
    st.text(max_size=12),
    st.lists(st.integers(), max_size=2),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    block=st.one_of(st.dictionaries(st.sampled_from(SMTP_KEYS), _values, max_size=6), _values),
    emails=st.one_of(st.none(), st.just("ops@example.com"), st.lists(_values, max_size=2), _values),
)
def test_any_smtp_block_is_accepted_or_one_error_naming_file_and_key(tmp_path: Path, block, emails) -> None:
    doc: dict[str, Any] = {"smtp": block}
    if emails is not None:
        doc["budget_alerts"] = [{"threshold": 1.0, "email": emails}]
    path = tmp_path / "fuzz.yaml"
    path.write_text(json.dumps(doc, default=str))
    path.chmod(0o600)
    try:
        load_checked_config(Overrides(config_path=str(path)), env={})
    except ConfigError as exc:
        message = str(exc)
        assert message.startswith(f"{path}: ") and "\n" not in message
        assert message[len(str(path)) + 2 :].startswith(("smtp", "budget_alerts[0]")), message
