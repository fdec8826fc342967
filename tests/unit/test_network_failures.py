"""Requests that got no answer: their cause in words, retried only where retrying can help, and an offline
machine recognised once its provider hosts do not resolve (exceptions built as ``requests`` raises them)."""
from __future__ import annotations

import socket
import ssl

import pytest
import requests
from urllib3.exceptions import (ConnectTimeoutError, MaxRetryError, NameResolutionError, NewConnectionError,
                                ReadTimeoutError)

from orchestration.feeds.http import (FeedClient, FeedHttpError, HttpResponse, NetworkError, ProviderSpec,
                                      RateLimiter, Reachability, network_failure)

HOST = "fapi.binance.com"


def wrapped(reason: Exception, kind: type[requests.RequestException] = requests.exceptions.ConnectionError):
    """What ``requests`` raises: its exception around urllib3's MaxRetryError around the cause."""
    return kind(MaxRetryError(None, f"https://{HOST}/x", reason))


def unresolvable(host: str = HOST) -> requests.RequestException:
    cause = socket.gaierror(-2, "Name or service not known")
    error = NameResolutionError(host, None, cause)
    error.__cause__ = cause
    return wrapped(error)


def refused() -> requests.RequestException:
    error = NewConnectionError(None, "Failed to establish a new connection: [Errno 111] Connection refused")
    error.__cause__ = ConnectionRefusedError(111, "Connection refused")
    return wrapped(error)


@pytest.mark.parametrize("exc, kind, words, retryable", [
    (unresolvable(), "dns", f"cannot resolve {HOST}: no network?", False),
    (socket.gaierror(-3, "Temporary failure in name resolution"), "dns", f"cannot resolve {HOST}", False),
    (refused(), "refused", f"{HOST} refused the connection", True),
    (wrapped(ConnectTimeoutError(None, f"https://{HOST}/x", "timed out"), requests.exceptions.ConnectTimeout),
     "timeout", f"could not connect to {HOST} in time", True),
    (requests.exceptions.ReadTimeout(ReadTimeoutError(None, f"https://{HOST}/x", "Read timed out.")),
     "timeout", f"{HOST} did not answer in time", True),
    (TimeoutError("read timed out"), "timeout", "did not answer in time", True),
    (requests.exceptions.SSLError(ssl.SSLCertVerificationError(1, "certificate verify failed")), "tls",
     "certificate failed verification", False),
    (requests.exceptions.SSLError(ssl.SSLError(1, "unexpected eof while reading")), "tls", "TLS handshake", True),
    (ConnectionResetError(104, "Connection reset by peer"), "reset", "dropped the connection", True),
])
def test_failures_are_named_by_cause(exc, kind, words, retryable):
    failure = network_failure(exc, HOST)
    assert isinstance(failure, OSError) and failure.kind == kind and failure.retryable is retryable
    assert words in failure.reason and "HTTPSConnectionPool" not in failure.reason


class Unreachable:
    """A transport that never gets an answer: raises ``exc`` and counts the attempts."""

    def __init__(self, exc: Exception):
        self.exc, self.attempts = exc, 0

    def send(self, request, timeout):
        self.attempts += 1
        raise self.exc


def client(transport, name="acme", reachability=None):
    sleeps: list[float] = []
    c = FeedClient(ProviderSpec(name), transport, sleep=sleeps.append, rate_limiter=RateLimiter(0),
                   reachability=reachability)
    return c, sleeps


def test_a_name_that_does_not_resolve_fails_at_once_in_words():
    transport = Unreachable(network_failure(unresolvable(), HOST))
    c, sleeps = client(transport)
    with pytest.raises(FeedHttpError) as err:
        c.get(f"https://{HOST}/fapi/v1/fundingRate", {"symbol": "BTCUSDT"})
    assert transport.attempts == 1 and sleeps == []  # no backoff cascade
    assert err.value.cause == f"cannot resolve {HOST}: no network?"
    assert str(err.value).startswith(f"[acme] cannot resolve {HOST}: no network? (1 attempt on https://{HOST}/")


def test_a_refused_connection_is_retried_with_backoff_and_named():
    transport = Unreachable(refused())
    c, sleeps = client(transport)
    with pytest.raises(FeedHttpError) as err:
        c.get(f"https://{HOST}/x")
    assert transport.attempts == 5 and len(sleeps) == 4
    assert err.value.cause == f"{HOST} refused the connection" and "gave up after 5 attempts" in str(err.value)


def test_the_machine_looks_offline_once_three_providers_names_do_not_resolve():
    reach = Reachability()
    for provider in ("binance", "bybit"):
        reach.record(f"api.{provider}.com", provider, NetworkError(f"api.{provider}.com", "dns", "x", False))
    reach.record("data.binance.vision", "binance", NetworkError("data.binance.vision", "dns", "x", False))
    assert reach.offline() is None  # two providers: a blocked name is not yet an offline machine
    reach.record("publicreporting.cftc.gov", "cftc", NetworkError("publicreporting.cftc.gov", "dns", "x", False))
    notice = reach.announce()
    assert notice and "this machine looks offline" in notice and "LC_MODE=sample" in notice
    assert "4 hosts of binance, bybit, cftc" in notice
    assert reach.announce() is None and reach.offline() == notice  # said once, still in force


def test_an_answer_from_any_host_means_not_offline():
    reach = Reachability()
    reach.record("ok.example", "venue", None)
    for provider in ("a", "b", "c"):
        reach.record(f"{provider}.example", provider, NetworkError(f"{provider}.example", "dns", "x", False))
    assert reach.offline() is None


def test_what_was_learnt_is_forgotten_after_a_while():
    clock = [0.0]
    reach = Reachability(memory=300, clock=lambda: clock[0])
    for provider in ("a", "b", "c"):
        reach.record(f"{provider}.example", provider, NetworkError(f"{provider}.example", "dns", "x", False))
    assert reach.offline()
    clock[0] = 301.0
    assert reach.offline() is None


def test_once_offline_nothing_more_is_sent():
    reach = Reachability(offline_after=1)
    c, _ = client(Unreachable(unresolvable()), reachability=reach)
    with pytest.raises(FeedHttpError):
        c.get(f"https://{HOST}/x")
    other = Unreachable(AssertionError("must not be asked"))
    c2, _ = client(other, name="okx", reachability=reach)
    with pytest.raises(FeedHttpError) as err:
        c2.get("https://www.okx.com/x")
    assert other.attempts == 0 and err.value.cause.startswith("not asked: the machine looks offline")


def test_an_answer_is_returned_as_before():
    class Answering:
        def send(self, request, timeout):
            return HttpResponse(200, b"[]")

    reach = Reachability(offline_after=1)
    c, _ = client(Answering(), reachability=reach)
    assert c.get("https://ok.example/x").status == 200 and reach.offline() is None
