"""The one HTTP client every connector speaks through.

Connectors build requests and parse payloads; this module owns everything about getting a response:
timeouts, retries with exponential backoff on 429 and 5xx (honouring ``Retry-After``), a per-provider
rate limit, API keys read from the environment and redacted from anything stored or logged, and requests that
got no answer named by their cause (:func:`network_failure`), retried only where that can help, with an
offline machine recognised across providers (:class:`Reachability`). Where a
request goes is the *transport*'s business: live HTTP, the in-process sample world, or a test double.
"""
from __future__ import annotations

import json
import logging
import os
import random
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Callable, Mapping, Protocol
from urllib.parse import quote, quote_plus, urlencode, urlsplit

log = logging.getLogger(__name__)

REDACTED = "***"
RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class HttpRequest:
    method: str
    url: str  # scheme://host/path, no query string
    params: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None

    @property
    def full_url(self) -> str:
        return f"{self.url}?{urlencode(self.params)}" if self.params else self.url

    @property
    def host(self) -> str:
        return urlsplit(self.url).netloc

    @property
    def path(self) -> str:
        return urlsplit(self.url).path


@dataclass(frozen=True)
class HttpResponse:
    status: int
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def header(self, name: str) -> str | None:
        return header(self.headers, name)

    def json_object(self) -> dict:
        """The body as a JSON object, or {} when it is not one (for peeking at error envelopes)."""
        if self.body[:1] != b"{":
            return {}
        try:
            payload = json.loads(self.body)
        except ValueError:
            return {}
        return payload if isinstance(payload, dict) else {}


class Transport(Protocol):
    """Sends one request and returns the response; raises ``OSError`` on network failure. ``now`` is the clock
    the provider answers by (tz-aware UTC): the window a run lands and the days a provider serves are read
    against it, so an offline world pinned in time and its connectors agree on what "today" is."""

    def send(self, request: HttpRequest, timeout: float) -> HttpResponse: ...

    def now(self) -> datetime: ...


class FeedError(RuntimeError):
    """A feed could not deliver: names the provider, the partition (if known) and what was wrong."""

    def __init__(self, provider: str, message: str, *, dataset: str | None = None,
                 partition: str | None = None, cause: str | None = None):
        self.provider, self.dataset, self.partition, self.detail = provider, dataset, partition, message
        #: what went wrong in a few words, for a one-line view (the message may add where and how often)
        self.cause = cause or message
        where = provider + (f"/{dataset}" if dataset else "") + (f" partition {partition}" if partition else "")
        super().__init__(f"[{where}] {message}")

    def for_partition(self, dataset: str | None, partition: str | None) -> "FeedError":
        """Same error, located: landing knows the partition, the connector does not always."""
        return type(self)(self.provider, self.detail, dataset=self.dataset or dataset,
                          partition=self.partition or partition, cause=self.cause)


class FeedHttpError(FeedError):
    """The provider answered with an error status, or did not answer, after all retries."""


class FeedParseError(FeedError):
    """The provider answered, but the payload is not what its documented shape says."""


@dataclass(frozen=True)
class ProviderSpec:
    """What the client needs to know about a provider to talk to it politely."""

    name: str
    requests_per_second: float = 5.0
    api_key_env: str | None = None  # environment variable holding the key, if any
    api_key_header: str | None = None  # send the key in this header ...
    api_key_param: str | None = None  # ... or in this query parameter
    #: providers that say "slow down" in their own way (Bybit: HTTP 403 or retCode 10006; Deribit: error
    #: 10028): such answers are retried with backoff like a 429
    rate_limited: Callable[["HttpResponse"], bool] | None = None
    #: the provider serves nothing without a key (paid aggregators): live runs without one skip its feeds
    key_required: bool = False
    #: providers that budget request *weight* per minute (Hyperliquid: 1,200 per IP): the budget, and each
    #: request's weight (``request_weight``); without them requests are spaced by ``requests_per_second`` alone
    weight_per_minute: float | None = None
    request_weight: Callable[["HttpRequest"], float] | None = None

    def weight(self, request: "HttpRequest") -> float:
        """What ``request`` costs of ``weight_per_minute`` (0 for providers that count requests, not weight)."""
        return self.request_weight(request) if self.request_weight else 0.0

    def api_key(self) -> str | None:
        return os.environ.get(self.api_key_env) if self.api_key_env else None

    def missing_key_reason(self) -> str | None:
        """Why a live run cannot use this provider (its key is required and not set), or None."""
        if self.key_required and not self.api_key():
            return (f"{self.name} skipped: {self.api_key_env} is not set ({self.name} serves nothing without a "
                    f"key); set it in the environment to land this feed, the other feeds run without it")
        return None


class RateLimiter:
    """Spaces requests at least ``1/rate`` seconds apart (per provider, shared across threads).

    With a weight budget (``weight_per_minute``) a request of weight ``w`` also holds the next one back for
    ``w`` budget-minutes' worth (``60 * w / weight_per_minute`` s), so the weight spent in any stretch of time
    never exceeds the budget by more than one request's. Weight is charged before sending, at the request's
    worst case: a provider that charges more for a longer answer (Hyperliquid) cannot say what an answer costs
    until it has come, and charging the most it can cost keeps a run inside the budget without a second,
    after-the-fact account."""

    def __init__(self, requests_per_second: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep, weight_per_minute: float | None = None):
        self.interval = 1.0 / requests_per_second if requests_per_second > 0 else 0.0
        self.seconds_per_weight = 60.0 / weight_per_minute if weight_per_minute else 0.0
        self._clock, self._sleep, self._next = clock, sleep, 0.0
        self._lock = threading.Lock()

    @classmethod
    def for_provider(cls, spec: "ProviderSpec", sleep: Callable[[float], None] = time.sleep) -> "RateLimiter":
        """The limiter ``spec`` asks for: its requests per second and, where it has one, its weight budget."""
        return cls(spec.requests_per_second, sleep=sleep, weight_per_minute=spec.weight_per_minute)

    def wait(self, weight: float = 0.0) -> None:
        """Block until a request of ``weight`` may go (0: a provider that counts requests only)."""
        with self._lock:
            now = self._clock()
            delay = self._next - now
            if delay > 0:
                self._sleep(delay)
                now += delay
            self._next = now + max(self.interval, weight * self.seconds_per_weight)


def redact(text: str, secrets: list[str]) -> str:
    """Replace every secret, raw or URL-encoded, with ``***``."""
    for secret in secrets:
        if secret:
            for form in {secret, quote_plus(secret), quote(secret, safe="")}:
                text = text.replace(form, REDACTED)
    return text


def header(headers: Mapping[str, str], name: str) -> str | None:
    """The value of header ``name``, whatever its case (HTTP/2 servers send names in lower case)."""
    return next((v for k, v in headers.items() if k.lower() == name.lower()), None)


def retry_after_seconds(headers: Mapping[str, str], now: Callable[[], float] = time.time) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date), if present."""
    value = header(headers, "Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - now())
    except (TypeError, ValueError):
        return None


class NetworkError(OSError):
    """A request that got no HTTP answer, with its cause in words (``kind``: ``dns``, ``refused``, ``timeout``,
    ``tls``, ``reset``, ``proxy`` or ``other``) and whether another attempt could help."""

    def __init__(self, host: str, kind: str, reason: str, retryable: bool):
        super().__init__(reason)
        self.host, self.kind, self.reason, self.retryable = host, kind, reason, retryable


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and every exception it wraps (``requests`` wraps urllib3's, which wraps the socket's): through
    ``__cause__``, ``__context__``, urllib3's ``reason`` and exceptions passed as arguments."""
    seen: list[BaseException] = []
    todo = [exc]
    while todo:
        current = todo.pop(0)
        if any(current is known for known in seen):
            continue
        seen.append(current)
        todo += [e for e in (current.__cause__, current.__context__, getattr(current, "reason", None),
                             *getattr(current, "args", ())) if isinstance(e, BaseException)]
    return seen


def _named(exc: BaseException, *names: str) -> bool:
    """Whether ``exc`` is an instance of a class called one of ``names`` (urllib3's and requests' exception
    types, matched without importing them)."""
    return any(cls.__name__ in names for cls in type(exc).__mro__)


def network_failure(exc: BaseException, host: str) -> NetworkError:
    """Why a request got no answer, in words, and whether retrying can fix it.

    A name that does not resolve will not resolve a second later (the machine is offline or the name is
    wrong), nor will a certificate that fails verification start passing: those are not retried. Refused,
    reset and timed-out connections are (a server restarting, a dropped packet)."""
    if isinstance(exc, NetworkError):
        return exc
    chain = _chain(exc)
    innermost = str(chain[-1]).strip() or type(chain[-1]).__name__

    def has(*types: type, names: tuple[str, ...] = ()) -> bool:
        return any(isinstance(e, types) or (names and _named(e, *names)) for e in chain)

    if has(socket.gaierror, names=("NameResolutionError",)):
        return NetworkError(host, "dns", f"cannot resolve {host}: no network?", retryable=False)
    if has(ssl.SSLCertVerificationError):
        return NetworkError(host, "tls", f"{host}'s TLS certificate failed verification (a proxy intercepting "
                                         f"HTTPS?): {innermost[:160]}", retryable=False)
    if has(names=("ProxyError",)):
        return NetworkError(host, "proxy", f"the proxy failed to reach {host}: {innermost[:160]}", retryable=True)
    if has(ssl.SSLError, names=("SSLError",)):
        return NetworkError(host, "tls", f"TLS handshake with {host} failed: {innermost[:160]}", retryable=True)
    if has(ConnectionRefusedError):
        return NetworkError(host, "refused", f"{host} refused the connection", retryable=True)
    if has(names=("ConnectTimeoutError", "ConnectTimeout")):
        return NetworkError(host, "timeout", f"could not connect to {host} in time (connect timeout)", retryable=True)
    if has(TimeoutError, names=("ReadTimeoutError", "ReadTimeout", "Timeout")):
        return NetworkError(host, "timeout", f"{host} did not answer in time (read timeout)", retryable=True)
    if has(ConnectionResetError, names=("ProtocolError",)):
        return NetworkError(host, "reset", f"{host} dropped the connection: {innermost[:160]}", retryable=True)
    return NetworkError(host, "other", f"network error talking to {host}: {innermost[:200]}", retryable=True)


class Reachability:
    """What this process has learnt about reaching the providers: which hosts answered and which names did not
    resolve. When no host has resolved and the names of ``offline_after`` providers did not, the machine is
    taken to be offline: the other providers are not asked (each request would only fail the same way, slowly
    where the resolver times out) and their days are recorded failed with that reason. What is learnt is
    forgotten after ``memory`` seconds, so a long-lived process tries again once the network is back."""

    def __init__(self, offline_after: int = 3, memory: float = 300.0, clock: Callable[[], float] = time.monotonic):
        self.offline_after, self.memory, self._clock = offline_after, memory, clock
        self._unresolved: dict[str, tuple[str, float]] = {}  # host -> (provider, when)
        self._resolved_at: float | None = None
        self._announced = False
        self._lock = threading.Lock()

    def _fresh(self) -> None:
        horizon = self._clock() - self.memory
        self._unresolved = {h: v for h, v in self._unresolved.items() if v[1] >= horizon}
        if self._resolved_at is not None and self._resolved_at < horizon:
            self._resolved_at = None
        if not self._unresolved:
            self._announced = False

    def record(self, host: str, provider: str, failure: NetworkError | None) -> None:
        """An attempt's outcome: an answer (``failure`` None) or a failure after the name resolved both mean
        the network works; a name that did not resolve counts towards the offline verdict."""
        with self._lock:
            if failure is not None and failure.kind == "dns":
                self._unresolved[host] = (provider, self._clock())
            else:
                self._resolved_at = self._clock()
                self._unresolved.pop(host, None)

    def offline(self) -> str | None:
        """Why the machine looks offline, in one line, or None while it does not."""
        with self._lock:
            self._fresh()
            providers = {provider for provider, _ in self._unresolved.values()}
            if self._resolved_at is not None or len(providers) < self.offline_after:
                return None
            return (f"no provider host resolves ({len(self._unresolved)} hosts of {', '.join(sorted(providers))}): "
                    "this machine looks offline, so the other feeds are not asked (their days are recorded failed); "
                    "LC_MODE=sample runs offline")

    def announce(self) -> str | None:
        """:meth:`offline`'s line the first time it holds (said once per run), else None."""
        reason = self.offline()
        with self._lock:
            if reason is None or self._announced:
                return None
            self._announced = True
            return reason


class FeedClient:
    """HTTP for one provider: rate-limited, retried, keys injected from the environment and redacted."""

    def __init__(self, spec: ProviderSpec, transport: Transport, *, timeout: float = 30.0,
                 max_retries: int = 4, backoff_base: float = 0.5, backoff_cap: float = 60.0,
                 sleep: Callable[[float], None] = time.sleep, rate_limiter: RateLimiter | None = None,
                 reachability: Reachability | None = None):
        self.spec, self.transport, self.timeout = spec, transport, timeout
        self.max_retries, self.backoff_base, self.backoff_cap = max_retries, backoff_base, backoff_cap
        self._sleep = sleep
        self.rate_limiter = rate_limiter or RateLimiter.for_provider(spec, sleep=sleep)
        self.reachability = reachability or Reachability()

    @property
    def secrets(self) -> list[str]:
        key = self.spec.api_key()
        return [key] if key else []

    def redact(self, text: str) -> str:
        return redact(text, self.secrets)

    def _authorised(self, request: HttpRequest) -> HttpRequest:
        key = self.spec.api_key()
        if not key:
            return request
        params, headers = dict(request.params), dict(request.headers)
        if self.spec.api_key_param:
            params[self.spec.api_key_param] = key
        if self.spec.api_key_header:
            headers[self.spec.api_key_header] = key
        return HttpRequest(request.method, request.url, params, headers, request.body)

    def send(self, request: HttpRequest) -> HttpResponse:
        """Send with retries; return a 2xx/3xx/4xx response, or raise ``FeedHttpError``.

        429, 5xx and the provider's own rate-limit answers (``ProviderSpec.rate_limited``) are retried
        with exponential backoff (jittered, capped) unless the provider said how long to wait; other 4xx are
        returned for the connector to interpret (a provider's error body often says more than its status).
        A request that got no answer is retried when retrying can help (:func:`network_failure`); a name that
        does not resolve fails at once, and once the machine looks offline (:class:`Reachability`) nothing
        more is sent.
        """
        sent = self._authorised(request)
        shown = self.redact(sent.full_url)
        last = "no attempt made"
        for attempt in range(self.max_retries + 1):
            offline = self.reachability.offline()
            if offline:
                raise FeedHttpError(self.spec.name, f"not asked: {offline}", cause="not asked: the machine looks "
                                    "offline (no provider host resolves)")
            self.rate_limiter.wait(self.spec.weight(sent))
            try:
                response = self.transport.send(sent, self.timeout)
            except OSError as exc:  # timeouts and connection errors are OSError subclasses
                failure = network_failure(exc, sent.host)
                self.reachability.record(sent.host, self.spec.name, failure)
                last, wait = self.redact(failure.reason), None
                if not failure.retryable:
                    raise FeedHttpError(self.spec.name, f"{last} ({attempt + 1} attempt{'s' if attempt else ''} "
                                        f"on {shown})", cause=last) from None
                log.debug("%s: %s", self.spec.name, self.redact(str(exc)))
            else:
                self.reachability.record(sent.host, self.spec.name, None)
                limited = self._rate_limited(response)
                if response.status not in RETRYABLE_STATUS and not limited:
                    return response
                last = (f"{'rate limited, ' if limited else ''}HTTP {response.status}: "
                        f"{self.redact(response.text()[:200])}")
                wait = retry_after_seconds(response.headers)
            if attempt == self.max_retries:
                break
            if wait is None:
                wait = min(self.backoff_cap, self.backoff_base * 2 ** attempt) * (0.5 + random.random() / 2)
            log.warning("%s: %s on %s; retry %d/%d in %.1fs", self.spec.name, last, shown,
                        attempt + 1, self.max_retries, wait)
            self._sleep(wait)
        raise FeedHttpError(self.spec.name, f"gave up after {self.max_retries + 1} attempts on {shown}: {last}",
                            cause=last)

    def _rate_limited(self, response: HttpResponse) -> bool:
        return bool(self.spec.rate_limited and self.spec.rate_limited(response))

    def get(self, url: str, params: Mapping[str, object] | None = None,
            headers: Mapping[str, str] | None = None) -> HttpResponse:
        clean = {k: str(v) for k, v in (params or {}).items() if v is not None}
        return self.send(HttpRequest("GET", url, clean, dict(headers or {})))

    def post(self, url: str, body: bytes, headers: Mapping[str, str] | None = None) -> HttpResponse:
        return self.send(HttpRequest("POST", url, {}, dict(headers or {}), body))

    def now(self) -> datetime:
        """The transport's clock (tz-aware UTC)."""
        return self.transport.now()

    def display_url(self, request: HttpRequest) -> str:
        """The URL as it may be stored or logged: keys never appear in it."""
        return self.redact(self._authorised(request).full_url)


class LiveTransport:
    """Real HTTP through ``requests`` (imported lazily: sample runs never need it)."""

    def __init__(self, user_agent: str = "leverage-condition/0.1"):
        import requests

        self._session = requests.Session()
        self._session.headers["User-Agent"] = user_agent

    def send(self, request: HttpRequest, timeout: float) -> HttpResponse:
        import requests

        try:
            r = self._session.request(request.method, request.url, params=dict(request.params),
                                      headers=dict(request.headers), data=request.body, timeout=timeout)
        except requests.RequestException as exc:
            raise network_failure(exc, request.host) from exc
        return HttpResponse(r.status_code, r.content, dict(r.headers))

    def now(self) -> datetime:
        return datetime.now(timezone.utc)
