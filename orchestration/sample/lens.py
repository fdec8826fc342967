"""What every provider lens on the sample world shares: routing by host and path, JSON/error responses,
parameter parsing and window slicing. Kept here so each new provider (OKX, Bybit, ...)
only writes its own formats and quirks."""
from __future__ import annotations

import json
import re
from typing import Callable, Mapping

import numpy as np

from orchestration.feeds.http import HttpRequest, HttpResponse
from orchestration.sample.world import SampleWorld

DAY_MS = 86_400_000


def json_response(payload: object, status: int = 200) -> HttpResponse:
    """Compact JSON bytes, as the real APIs send them."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    return HttpResponse(status, body, {"Content-Type": "application/json"})



def clamped_rate(premium, interest: float, clamp: float, cap: float) -> np.ndarray:
    """A funding rate by the clamp formula the perpetual venues publish: premium + clamp(interest - premium,
    +-clamp), capped at +-cap (each venue, and Coinalyze's and CoinGlass's views of it, with its own constants)."""
    premium = np.asarray(premium, dtype=float)
    return np.clip(premium + np.clip(interest - premium, -clamp, clamp), -cap, cap)

class LensError(Exception):
    """Raised inside a handler to answer with ``response`` (a provider-shaped error)."""

    def __init__(self, response: HttpResponse):
        super().__init__(response.status)
        self.response = response


def window(times: np.ndarray, start: int | None, end: int | None, limit: int) -> np.ndarray:
    """Indices of ascending ``times`` in [start, end]: the first ``limit`` from ``start`` if given, else the
    last ``limit`` up to ``end`` (how most exchange history endpoints page)."""
    lo = 0 if start is None else int(np.searchsorted(times, start, side="left"))
    hi = len(times) if end is None else int(np.searchsorted(times, end, side="right"))
    if hi <= lo:
        return np.arange(0)
    return np.arange(lo, min(hi, lo + limit)) if start is not None else np.arange(max(lo, hi - limit), hi)


Handler = Callable[[Mapping[str, str], int, "re.Match[str]"], HttpResponse]


class Lens:
    """A provider's view of the world. Subclasses fill ``routes`` with (host, path regex, handler) and
    override ``not_found`` / ``bad_integer`` to speak their provider's error dialect."""

    hosts: tuple[str, ...] = ()

    def __init__(self, world: SampleWorld):
        self.world = world
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = []

    def route(self, host: str, pattern: str, handler: Handler) -> None:
        self.routes.append((host, re.compile(pattern), handler))

    def handle(self, request: HttpRequest, now_ms: int) -> HttpResponse:
        for host, pattern, handler in self.routes:
            match = pattern.fullmatch(request.path) if host == request.host else None
            if match and request.method.upper() == "GET":
                try:
                    return handler(request.params, now_ms, match)
                except LensError as exc:
                    return exc.response
        return self.not_found(request)

    def not_found(self, request: HttpRequest) -> HttpResponse:
        return json_response({"error": "not found", "path": request.path}, 404)

    def bad_integer(self, name: str) -> HttpResponse:
        return json_response({"error": f"invalid {name}"}, 400)

    def int_param(self, params: Mapping[str, str], name: str, default: int | None = None) -> int | None:
        raw = params.get(name)
        if raw is None or raw == "":
            return default
        if not re.fullmatch(r"-?[0-9]{1,20}", str(raw)):
            raise LensError(self.bad_integer(name))
        return int(raw)
