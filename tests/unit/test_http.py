"""The shared HTTP client: retries, Retry-After, rate limit, redaction, clear errors."""
from __future__ import annotations

import logging

import pytest

from orchestration.feeds.http import (FeedClient, FeedHttpError, HttpRequest, HttpResponse, ProviderSpec,
                                      RateLimiter, retry_after_seconds)


class ScriptedTransport:
    """Answers with a scripted list of responses (or raises them if they are exceptions)."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.requests: list[HttpRequest] = []

    def send(self, request, timeout):
        self.requests.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def client(transport, spec=ProviderSpec("acme"), **kw):
    sleeps: list[float] = []
    c = FeedClient(spec, transport, sleep=sleeps.append, rate_limiter=RateLimiter(0), **kw)
    return c, sleeps


def test_retries_429_honouring_retry_after_then_succeeds():
    transport = ScriptedTransport(HttpResponse(429, b"slow down", {"Retry-After": "7"}), HttpResponse(200, b"[]"))
    c, sleeps = client(transport)
    response = c.get("https://api.acme.test/v1/x", {"a": 1})
    assert response.status == 200
    assert sleeps == [7.0]
    assert len(transport.requests) == 2


def test_retries_500_with_exponential_backoff_then_succeeds():
    transport = ScriptedTransport(HttpResponse(500, b"oops"), HttpResponse(503, b"oops"), HttpResponse(200, b"ok"))
    c, sleeps = client(transport, backoff_base=1.0)
    assert c.get("https://api.acme.test/v1/x").body == b"ok"
    assert len(sleeps) == 2
    assert 0.5 <= sleeps[0] <= 1.0 and 1.0 <= sleeps[1] <= 2.0  # jittered 1 s, then 2 s


def test_network_errors_are_retried():
    transport = ScriptedTransport(TimeoutError("read timed out"), HttpResponse(200, b"ok"))
    c, sleeps = client(transport)
    assert c.get("https://api.acme.test/v1/x").status == 200
    assert len(sleeps) == 1


def test_gives_a_clear_error_after_its_retries():
    transport = ScriptedTransport(*[HttpResponse(500, b"internal error")] * 3)
    c, sleeps = client(transport, max_retries=2)
    with pytest.raises(FeedHttpError) as err:
        c.get("https://api.acme.test/v1/x", {"symbol": "BTC"})
    message = str(err.value)
    assert "[acme]" in message and "3 attempts" in message and "HTTP 500" in message
    assert "symbol=BTC" in message
    assert len(sleeps) == 2


def test_other_4xx_are_returned_not_retried():
    transport = ScriptedTransport(HttpResponse(400, b'{"code":-1121,"msg":"Invalid symbol."}'))
    c, sleeps = client(transport)
    assert c.get("https://api.acme.test/v1/x").status == 400
    assert sleeps == []


def test_api_key_from_environment_is_sent_and_redacted(monkeypatch, caplog):
    monkeypatch.setenv("ACME_KEY", "s3cr3t-key")
    spec = ProviderSpec("acme", api_key_env="ACME_KEY", api_key_param="api_key", api_key_header="X-Key")
    transport = ScriptedTransport(HttpResponse(500, b"bad key s3cr3t-key"), HttpResponse(500, b"x"))
    c, _ = client(transport, spec=spec, max_retries=1)
    with caplog.at_level(logging.WARNING), pytest.raises(FeedHttpError) as err:
        c.get("https://api.acme.test/v1/x")
    sent = transport.requests[0]
    assert sent.params["api_key"] == "s3cr3t-key" and sent.headers["X-Key"] == "s3cr3t-key"
    assert "s3cr3t-key" not in str(err.value) and "***" in str(err.value)
    assert "s3cr3t-key" not in caplog.text


def test_display_url_never_shows_the_key(monkeypatch):
    monkeypatch.setenv("ACME_KEY", "k3y/+=")
    spec = ProviderSpec("acme", api_key_env="ACME_KEY", api_key_param="api_key")
    c, _ = client(ScriptedTransport(), spec=spec)
    shown = c.display_url(HttpRequest("GET", "https://api.acme.test/v1/x", {"a": "1"}))
    assert "k3y" not in shown and "a=1" in shown and "api_key=***" in shown


def test_retry_after_accepts_http_dates():
    assert retry_after_seconds({"retry-after": "Wed, 21 Oct 2015 07:28:10 GMT"}, now=lambda: 1445412480.0) == 10.0
    assert retry_after_seconds({}) is None
    assert retry_after_seconds({"Retry-After": "soon"}) is None


def test_rate_limiter_spaces_requests():
    clock = [0.0]
    slept: list[float] = []

    def sleep(s):
        slept.append(s)
        clock[0] += s

    limiter = RateLimiter(2.0, clock=lambda: clock[0], sleep=sleep)
    for _ in range(3):
        limiter.wait()
    assert slept == [0.5, 0.5]


@pytest.mark.parametrize("provider, limited", [
    ("bybit", HttpResponse(403, b"<html>403 Forbidden</html>")),
    ("bybit", HttpResponse(200, b'{"retCode":10006,"retMsg":"Too many visits!","result":{}}')),
    ("deribit", HttpResponse(400, b'{"jsonrpc":"2.0","error":{"code":10028,"message":"too_many_requests"}}')),
])
def test_a_providers_own_rate_limit_answer_is_retried_like_a_429(provider, limited):
    from importlib import import_module

    spec = import_module(f"orchestration.feeds.{provider}").PROVIDER
    transport = ScriptedTransport(limited, HttpResponse(200, b'{"ok": true}'))
    c, sleeps = client(transport, spec=spec)
    assert c.get("https://api.example.test/x").status == 200 and len(sleeps) == 1
    # once the retries are spent: a clear error naming the provider and the answer
    c, _ = client(ScriptedTransport(*[limited] * 3), spec=spec, max_retries=2)
    with pytest.raises(FeedHttpError, match=f"{provider}.*gave up after 3 attempts.*rate limited"):
        c.get("https://api.example.test/x")


def test_other_error_answers_are_not_retried():
    import orchestration.feeds.bybit as bybit

    transport = ScriptedTransport(HttpResponse(200, b'{"retCode":10001,"retMsg":"params error","result":{}}'))
    c, sleeps = client(transport, spec=bybit.PROVIDER)
    assert c.get("https://api.example.test/x").status == 200 and sleeps == []  # the connector reports it
