"""The bad-payload corpus through landing and the raw gates, as a run meets it.

For every case the dataset's window is first landed from the good payload, then from the spoilt one:
- ``error``: the landing returns the feed's error (never raises), every servable day of the window is
  ``failed`` with a reason naming the problem, and the rows landed before are still there, unchanged;
- ``gate``: the rows land and the raw gate blocks them, naming the column or rule;
- ``harmless``: the rows land and the raw gate passes.
"""
from __future__ import annotations

import duckdb
import pytest

from orchestration import gates
from orchestration.feeds.http import FeedClient, HttpResponse, RateLimiter
from orchestration.raw_store import land, landing_statuses, raw_table
from tests.corpus.payloads import NOW, _transport, corpus, module_of

CASES = corpus()


class Spoiler:
    """The sample world, except that the case's request gets the case's body (and headers)."""

    def __init__(self, case=None):
        self.case = case

    def send(self, request, timeout):
        asked = (request.url, request.params, request.body)
        if self.case and asked == (self.case.request.url, self.case.request.params, self.case.request.body):
            return HttpResponse(200, self.case.body, self.case.headers)
        return _transport().send(request, timeout)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    con = duckdb.connect(str(root / "w.duckdb"))
    yield con, root / "raw"
    con.close()


def _land(case, con, raw_dir, spoilt: bool):
    provider, name = case.dataset.split("/")
    dataset = module_of(case.dataset).DATASETS[name]
    client = FeedClient(dataset.provider, Spoiler(case if spoilt else None), rate_limiter=RateLimiter(0),
                        sleep=lambda s: None, max_retries=0)
    return dataset, land(dataset, case.window, client, raw_dir, con, NOW, raise_on_error=False)


def _window_rows(con, dataset, case):
    return con.execute(f"SELECT * FROM {raw_table(dataset)} WHERE partition_date BETWEEN ? AND ? "
                       "ORDER BY ALL", [case.window.start, case.window.end]).df()


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_landing_contains_or_gates_every_bad_payload(case, warehouse):
    con, raw_dir = warehouse
    dataset, before = _land(case, con, raw_dir, spoilt=False)
    assert before.error is None, before.error
    good_rows = _window_rows(con, dataset, case)
    dataset, result = _land(case, con, raw_dir, spoilt=True)
    if case.outcome == "error":
        assert result.error is not None and case.expect in str(result.error), result.error
        statuses = landing_statuses(con, dataset.provider.name, dataset.name, case.window)
        failed = statuses.get("failed", [])
        assert failed and set(statuses) <= {"failed", "unavailable", "no_rows"}, statuses
        assert all(case.expect in (reason or "") for _, reason in failed)
        assert _window_rows(con, dataset, case).equals(good_rows)  # earlier rows kept as they were
        return
    assert result.error is None, result.error
    report = gates.validate(_window_rows(con, dataset, case), f"raw_{dataset.provider.name}__{dataset.name}")
    if case.outcome == "gate":
        assert not report.success
        assert any(case.expect in f.describe() for f in report.failed), [f.describe() for f in report.failed]
    else:
        assert report.success, [f.describe() for f in report.failed]
