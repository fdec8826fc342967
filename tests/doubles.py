"""Test doubles shared by the connector tests: a transport that answers canned responses and records what was
asked, and a client that never waits."""
from __future__ import annotations

import json
from typing import Any

from orchestration.feeds.http import FeedClient, HttpResponse, ProviderSpec, RateLimiter


class Recorder:
    """Answers each request with the next canned response and records what was asked."""

    def __init__(self, *responses: HttpResponse):
        self.responses, self.requests = list(responses), []

    def send(self, request, timeout):
        self.requests.append(request)
        return self.responses.pop(0)


def quick_client(spec: ProviderSpec, transport, **kwargs) -> FeedClient:
    """A client without rate limiting or real sleeps."""
    return FeedClient(spec, transport, rate_limiter=RateLimiter(0), sleep=lambda s: None, **kwargs)


def body(payload: Any) -> bytes:
    return json.dumps(payload).encode()


def ok(payload: Any) -> HttpResponse:
    return HttpResponse(200, body(payload))
