"""``spendtui report … --proxy URL --key KEY`` (and the environment) against a real
loopback server: the figures, and one-line errors with the right exit codes."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from spendtui.cli import main
from spendtui.money import to_pico
from tests.proxy_server import FixtureServer, LogStore, Reply, tls_context
from tests.test_proxy_polls import row

KEY = "sk-test-secret-key-123"


@pytest.fixture
def rows() -> list[dict]:
    return [row(n, timedelta(minutes=5 + n)) for n in range(12)]


def serve(server: FixtureServer, rows: list[dict]) -> None:
    server.route("/spend/logs/v2", LogStore(rows))
    server.route("/key/list", Reply(200, {"keys": [], "total_count": 0, "current_page": 1, "total_pages": 0}))
    server.route("/team/list", Reply(200, []))
    server.route("/customer/list", Reply(200, []))
    server.route("/user/list", Reply(200, {"users": [], "total": 0, "total_pages": 0}))
    empty = Reply(200, {"results": [], "metadata": {"has_more": False}})
    for entity in ("user", "team", "customer", "tag"):
        server.route(f"/{entity}/daily/activity", empty)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_report_through_the_proxy(capsys, rows) -> None:
    with FixtureServer() as server:
        serve(server, rows)
        argv = ["report", "models", "--proxy", server.url, "--key", KEY, "--format", "json"]
        code, out, err = run(capsys, *argv)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["total"]["requests"] == 12
    assert round(doc["total"]["spend"] * 10**6) == round(sum(to_pico(r["spend"]) for r in rows) / 10**6)
    assert {r.headers["authorization"] for r in server.requests} == {f"Bearer {KEY}"}


def test_proxy_and_key_from_the_environment(capsys, rows, monkeypatch) -> None:
    with FixtureServer() as server:
        serve(server, rows)
        monkeypatch.setenv("LITELLM_PROXY_URL", server.url)
        monkeypatch.setenv("LITELLM_MASTER_KEY", KEY)
        code, out, err = run(capsys, "report", "spend", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["total"]["requests"] == 12


@pytest.mark.parametrize(
    ("argv", "code", "text"),
    [
        (["--proxy", "http://127.0.0.1:9"], 2, "the proxy needs a key"),
        (["--proxy", "ftp://127.0.0.1:9", "--key", KEY], 2, "expected http"),
        (["--proxy", "http://127.0.0.1:9", "--key", KEY], 3, "connection refused"),
    ],
)
def test_bad_proxy_settings_are_one_line_errors(capsys, argv, code, text) -> None:
    got, out, err = run(capsys, "report", "spend", *argv)
    assert got == code and out == ""
    assert text in err and err.count("\n") == 1 and "Traceback" not in err
    assert KEY not in err


def test_tls_from_the_command_line(capsys, rows, tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    context, _ = tls_context(tmp_path)
    with FixtureServer(tls=context) as server:
        serve(server, rows)
        code, _, err = run(capsys, "report", "spend", "--proxy", server.url, "--key", KEY)
        assert code == 3 and "certificate verification failed" in err
        code, out, err = run(capsys, "report", "spend", "--proxy", server.url, "--key", KEY, "--insecure")
        assert code == 0, err
        assert "12" in out


def test_keys_list_through_the_proxy_passes_its_notes_on(capsys, rows) -> None:
    """An endpoint the proxy lacks (``/team/list`` on an older LiteLLM) is said, not
    silently turned into team ids where names would be."""
    key = {"token": "ab" * 32, "key_name": "sk-...wxyz", "key_alias": "web", "team_id": "team-1", "spend": 1.5}
    with FixtureServer() as server:
        serve(server, rows)
        server.route("/key/list", Reply(200, {"keys": [key], "total_count": 1, "current_page": 1, "total_pages": 1}))
        del server.routes["/team/list"]  # answered 404 Not Found
        code, out, err = run(capsys, "keys", "list", "--proxy", server.url, "--key", KEY, "--format", "json")
        assert code == 0, err
        table_code, table, _ = run(capsys, "keys", "list", "--proxy", server.url, "--key", KEY)
    doc = json.loads(out)
    assert [k["team"] for k in doc["keys"]] == ["team-1"]
    assert doc["notes"] == ["/team/list is not available on this proxy (older LiteLLM)"]
    assert table_code == 0 and "note: /team/list is not available on this proxy (older LiteLLM)" in table
