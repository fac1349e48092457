"""The proxy source when things go wrong, against real HTTP(S) servers on 127.0.0.1:
refused connections, timeouts, 5xx, HTML and broken bodies, revoked keys, TLS, redirects."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from spendtui import __version__
from spendtui.errors import ConfigError, SourceAuthError, SourceDataError, SourceUnavailable
from spendtui.sources.proxy import HttpSettings, ProxySource
from spendtui.sources.proxy.http import ProxyHttp, normalise_base_url
from tests.proxy_server import FixtureServer, LogStore, Reply, recorded_rows, tls_context
from tests.test_proxy_parsers import RECORDED_DAY, source_for

KEY = "sk-test-master"
REVOKED = {
    "error": {
        "message": f"Authentication Error, Invalid proxy server token passed. Received API Key = {KEY}",
        "type": "auth_error",
        "param": "None",
        "code": "401",
    }
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def first_day() -> int:
    from spendtui.timeutil import day_of

    return day_of(RECORDED_DAY) - 1


@pytest.fixture
def server():
    with FixtureServer() as s:
        s.route("/spend/logs/v2", LogStore(recorded_rows()))
        yield s


def test_every_request_carries_the_key_and_names_spendtui(server) -> None:
    source = source_for(server)
    try:
        source.load(first_day(), first_day())
    finally:
        source.close()
    assert server.requests
    for request in server.requests:
        assert request.headers["authorization"] == f"Bearer {KEY}"
        assert request.headers["user-agent"] == f"spendtui/{__version__}"


def test_connection_refused_is_unavailable() -> None:
    source = ProxySource(HttpSettings(f"http://127.0.0.1:{free_port()}", KEY))
    try:
        with pytest.raises(SourceUnavailable, match="connection refused"):
            source.load(first_day(), first_day())
    finally:
        source.close()


def test_revoked_key_is_an_auth_error_naming_admin_keys_without_the_key(server) -> None:
    source = source_for(server)
    try:
        source.load(first_day(), first_day())
        server.route("/spend/logs/v2", Reply(401, REVOKED))
        with pytest.raises(SourceAuthError) as caught:
            source.poll(deep=True)
    finally:
        source.close()
    message = str(caught.value)
    assert "HTTP 401" in message and "admin key" in message and "Invalid proxy server token" in message
    assert KEY not in message


@pytest.mark.parametrize(
    ("reply", "error", "text"),
    [
        (Reply(502, "<html><body>Bad Gateway</body></html>", "text/html"), SourceUnavailable, "HTTP 502"),
        (Reply(500, {"detail": {"error": "DB not connected"}}), SourceUnavailable, "DB not connected"),
        (Reply(200, "<!DOCTYPE html><html>login</html>", "text/html"), SourceDataError, "HTML page"),
        (Reply(200, '{"data": [ {"request_id": '), SourceDataError, "not valid JSON"),
        (Reply(200, {"rows": []}), SourceDataError, "'data' list"),
        (Reply(200, {"data": []}, truncate=True), SourceUnavailable, "closed before the answer"),
        (Reply(drop=True), SourceUnavailable, "closed before the answer"),
        (Reply(422, {"detail": [{"loc": ["query", "page_size"]}]}), SourceDataError, "page_size"),
    ],
)
def test_bad_answers_become_one_line_errors(server, reply, error, text) -> None:
    server.route("/spend/logs/v2", reply)
    source = source_for(server)
    try:
        with pytest.raises(error) as caught:
            source.load(first_day(), first_day())
    finally:
        source.close()
    assert text in str(caught.value) and "\n" not in str(caught.value)


def test_a_slow_endpoint_times_out(server) -> None:
    release = threading.Event()
    server.route("/spend/logs/v2", Reply(200, {"data": []}, hold=release))
    source = ProxySource(HttpSettings(server.url, KEY, read_timeout=0.3))
    try:
        with pytest.raises(SourceUnavailable, match=r"no answer within 0\.3s"):
            source.load(first_day(), first_day())
    finally:
        release.set()
        source.close()


def test_polls_never_overlap(server) -> None:
    source = source_for(server)
    try:
        source.load(first_day(), first_day())
        release = threading.Event()
        server.route("/spend/logs/v2", Reply(200, {"data": []}, hold=release))
        server.arrived.clear()
        slow = threading.Thread(target=source.poll, kwargs={"deep": True})
        slow.start()
        assert server.arrived.wait(10)
        assert source.poll(deep=True) == []  # returns at once: the first poll is in flight
        release.set()
        slow.join(10)
    finally:
        release.set()
        source.close()
    assert source.overlapping_polls == 1
    assert server.max_in_flight == 1


def test_close_cancels_a_request_in_flight(server) -> None:
    source = source_for(server)
    source.load(first_day(), first_day())
    release = threading.Event()
    server.route("/spend/logs/v2", Reply(200, {"data": []}, hold=release))
    server.arrived.clear()
    outcome: list[BaseException] = []

    def poll() -> None:
        try:
            source.poll(deep=True)
        except BaseException as exc:  # noqa: BLE001  (recorded for the assertion)
            outcome.append(exc)

    thread = threading.Thread(target=poll)
    thread.start()
    try:
        assert server.arrived.wait(10)
        started = time.monotonic()
        source.close()
        thread.join(5)
        assert not thread.is_alive() and time.monotonic() - started < 3
    finally:
        release.set()
    assert len(outcome) == 1 and isinstance(outcome[0], SourceDataError) and "closed" in str(outcome[0])


def test_tls_is_verified_unless_trusted_or_disabled(tmp_path, monkeypatch) -> None:
    context, cert = tls_context(tmp_path)
    with FixtureServer(tls=context) as server:
        server.route("/health/readiness", Reply(200, {"status": "healthy", "litellm_version": "1.108.7"}))
        untrusted = ProxySource(HttpSettings(server.url, KEY), env={})
        try:
            with pytest.raises(SourceUnavailable, match="certificate verification failed"):
                untrusted.health()
        finally:
            untrusted.close()
        for settings, env in [
            (HttpSettings(server.url, KEY, ca_bundle=str(cert)), {}),
            (HttpSettings(server.url, KEY), {"SSL_CERT_FILE": str(cert)}),
            (HttpSettings(server.url, KEY, verify_tls=False), {}),
        ]:
            source = ProxySource(settings, env=env)
            try:
                assert source.health().version == "1.108.7"
            finally:
                source.close()


def test_missing_ca_bundle_is_a_config_error(tmp_path) -> None:
    with pytest.raises(ConfigError, match="no CA certificate file"):
        ProxyHttp(HttpSettings("https://127.0.0.1:1", KEY, ca_bundle=str(tmp_path / "none.pem")), env={})


def test_redirects_stay_on_the_same_origin(server) -> None:
    with FixtureServer() as elsewhere:
        elsewhere.route("/spend/logs/v2", LogStore(recorded_rows()))
        moved = "/spend/logs/v2?start_date=2026-11-26+00:00:00&end_date=2026-11-28+00:00:00"
        server.route("/moved", Reply(307, b"", headers={"Location": moved}))
        server.route("/away", Reply(302, b"", headers={"Location": f"{elsewhere.url}/spend/logs/v2"}))
        http = ProxyHttp(HttpSettings(server.url, KEY))
        try:
            params = {"start_date": "2026-11-26 00:00:00", "end_date": "2026-11-28 00:00:00"}
            assert len(http.get("/moved", params).body["data"]) == 50
            with pytest.raises(SourceDataError, match="not following it with the key"):
                http.get("/away", params)
        finally:
            http.close()
        assert elsewhere.requests == []
    assert [r.path for r in server.requests] == ["/moved", "/spend/logs/v2", "/away"]
    assert server.requests[1].headers["authorization"] == f"Bearer {KEY}"


@pytest.mark.parametrize(
    ("url", "text"),
    [
        ("ftp://proxy", "expected http"),
        ("http://user:secret@proxy:4000", "not in the URL"),
        ("http://proxy:4000/?x=1", "query"),
        ("http://proxy:99999", "invalid port"),
    ],
)
def test_bad_proxy_urls_are_config_errors(url, text) -> None:
    with pytest.raises(ConfigError, match=text) as caught:
        normalise_base_url(url)
    assert "secret" not in str(caught.value)


def test_close_releases_the_client_and_refuses_further_use(server) -> None:
    source = source_for(server)
    source.load(first_day(), first_day())
    thread = source.http._thread
    source.close()
    assert thread is not None and not thread.is_alive()
    with pytest.raises(SourceDataError, match="closed"):
        source.http.get("/spend/logs/v2")


def test_a_key_that_only_sees_its_own_spend_is_refused(server) -> None:
    server.route(
        "/user/list",
        Reply(403, {"detail": {"error": "Only proxy admins and organization admins can list users."}}),
    )
    source = source_for(server)
    try:
        with pytest.raises(SourceAuthError, match="may only read its own spend") as caught:
            source.load(first_day(), first_day())
    finally:
        source.close()
    assert "admin key" in str(caught.value)
    assert [r.path for r in server.requests] == ["/user/list"]
