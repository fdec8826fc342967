"""The one HTTP client every connector speaks through.

Connectors build requests and parse payloads; this module owns everything about getting a response:
timeouts, retries with exponential backoff on 429 and 5xx (honouring ``Retry-After``), a per-provider
rate limit, API keys read from the environment and redacted from anything stored or logged. Where a
request goes is the *transport*'s business: live HTTP, the in-process sample world, or a test double.
"""
from __future__ import annotations

import json
import logging
import os
import random
import threading
import time
from dataclasses import dataclass, field
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
    """Sends one request and returns the response; raises ``OSError`` on network failure."""

    def send(self, request: HttpRequest, timeout: float) -> HttpResponse: ...


class FeedError(RuntimeError):
    """A feed could not deliver: names the provider, the partition (if known) and what was wrong."""

    def __init__(self, provider: str, message: str, *, dataset: str | None = None,
                 partition: str | None = None):
        self.provider, self.dataset, self.partition, self.detail = provider, dataset, partition, message
        where = provider + (f"/{dataset}" if dataset else "") + (f" partition {partition}" if partition else "")
        super().__init__(f"[{where}] {message}")

    def for_partition(self, dataset: str | None, partition: str | None) -> "FeedError":
        """Same error, located: landing knows the partition, the connector does not always."""
        return type(self)(self.provider, self.detail, dataset=self.dataset or dataset,
                          partition=self.partition or partition)


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

    def api_key(self) -> str | None:
        return os.environ.get(self.api_key_env) if self.api_key_env else None

    def missing_key_reason(self) -> str | None:
        """Why a live run cannot use this provider (its key is required and not set), or None."""
        if self.key_required and not self.api_key():
            return (f"{self.name} skipped: {self.api_key_env} is not set ({self.name} serves nothing without a "
                    f"key); set it in the environment to land this feed, the other feeds run without it")
        return None


class RateLimiter:
    """Spaces requests at least ``1/rate`` seconds apart (per provider, shared across threads)."""

    def __init__(self, requests_per_second: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.interval = 1.0 / requests_per_second if requests_per_second > 0 else 0.0
        self._clock, self._sleep, self._next = clock, sleep, 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = self._clock()
            delay = self._next - now
            if delay > 0:
                self._sleep(delay)
                now += delay
            self._next = now + self.interval


def redact(text: str, secrets: list[str]) -> str:
    """Replace every secret, raw or URL-encoded, with ``***``."""
    for secret in secrets:
        if secret:
            for form in {secret, quote_plus(secret), quote(secret, safe="")}:
                text = text.replace(form, REDACTED)
    return text


def retry_after_seconds(headers: Mapping[str, str], now: Callable[[], float] = time.time) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date), if present."""
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
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


class FeedClient:
    """HTTP for one provider: rate-limited, retried, keys injected from the environment and redacted."""

    def __init__(self, spec: ProviderSpec, transport: Transport, *, timeout: float = 30.0,
                 max_retries: int = 4, backoff_base: float = 0.5, backoff_cap: float = 60.0,
                 sleep: Callable[[float], None] = time.sleep, rate_limiter: RateLimiter | None = None):
        self.spec, self.transport, self.timeout = spec, transport, timeout
        self.max_retries, self.backoff_base, self.backoff_cap = max_retries, backoff_base, backoff_cap
        self._sleep = sleep
        self.rate_limiter = rate_limiter or RateLimiter(spec.requests_per_second, sleep=sleep)

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
        with exponential backoff (jittered, capped) unless the provider said how long to wait; other 4xx are returned for the connector to interpret (a provider's error
        body often says more than its status).
        """
        sent = self._authorised(request)
        shown = self.redact(sent.full_url)
        last = "no attempt made"
        for attempt in range(self.max_retries + 1):
            self.rate_limiter.wait()
            try:
                response = self.transport.send(sent, self.timeout)
            except OSError as exc:  # timeouts and connection errors are OSError subclasses
                last, wait = f"network error: {self.redact(str(exc))}", None
            else:
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
        raise FeedHttpError(self.spec.name, f"gave up after {self.max_retries + 1} attempts on {shown}: {last}")

    def _rate_limited(self, response: HttpResponse) -> bool:
        return bool(self.spec.rate_limited and self.spec.rate_limited(response))

    def get(self, url: str, params: Mapping[str, object] | None = None,
            headers: Mapping[str, str] | None = None) -> HttpResponse:
        clean = {k: str(v) for k, v in (params or {}).items() if v is not None}
        return self.send(HttpRequest("GET", url, clean, dict(headers or {})))

    def post(self, url: str, body: bytes, headers: Mapping[str, str] | None = None) -> HttpResponse:
        return self.send(HttpRequest("POST", url, {}, dict(headers or {}), body))

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
            raise OSError(str(exc)) from exc
        return HttpResponse(r.status_code, r.content, dict(r.headers))
