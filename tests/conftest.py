"""Shared fixtures: where the real recorded data lives, and an isolated warehouse per test."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REALDATA = ROOT.parent / "shared" / "realdata"


@pytest.fixture
def realdata() -> Path:
    if not REALDATA.is_dir():
        pytest.skip(f"real recorded data not found at {REALDATA} (it lives beside the project, not in it)")
    return REALDATA


@pytest.fixture
def warehouse_env(tmp_path, monkeypatch):
    """Point every configuration variable at a temporary warehouse on the sample world."""
    monkeypatch.setenv("LC_WAREHOUSE_DIR", str(tmp_path / "warehouse"))
    monkeypatch.setenv("LC_MODE", "sample")
    monkeypatch.delenv("LC_START_DATE", raising=False)
    monkeypatch.delenv("LC_END_DATE", raising=False)
    return tmp_path / "warehouse"


def land_from_sample(dataset, window, now, con, raw_dir, transport=None):
    """Land ``window`` of ``dataset`` from the sample world (pinned at ``now``) into ``con``: the landing result
    and the raw table as a frame, ordered."""
    from orchestration.feeds.http import FeedClient, RateLimiter
    from orchestration.raw_store import land, raw_table
    from orchestration.sample.transport import SampleTransport

    client = FeedClient(dataset.provider, transport or SampleTransport(now=now), rate_limiter=RateLimiter(0),
                        sleep=lambda s: None)
    result = land(dataset, window, client, raw_dir, con, now)
    return result, con.execute(f"select * from {raw_table(dataset)} order by all").df()
