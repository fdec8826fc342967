"""Shared fixtures (where the real recorded data lives, an isolated warehouse per test) and what keeps the suite
safe and quick on parallel pytest-xdist workers (``make test`` runs ``-n 2 --dist loadgroup``): the dbt manifest
prepared once before the workers start, tests that share a module-scoped fixture kept on one worker, and the
end-to-end tests handed out first."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
REALDATA = ROOT.parent / "shared" / "realdata"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--spark", action="store_true",
                     help="also collect tests/spark: the dbt project on Apache Spark vs DuckDB (make test-spark)")


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """tests/spark needs Java and pyspark and builds for minutes: only ``make test-spark`` (``--spark``) runs it,
    so ``make test`` stays offline-quick and needs no Spark."""
    if collection_path.is_relative_to(TESTS / "spark") and not config.getoption("--spark"):
        return True
    return None


def pytest_configure(config: pytest.Config) -> None:
    """Under xdist, parse the dbt project once in the controller: workers loading the definitions then only read
    the manifest, instead of two ``dbt parse`` writing ``dbt_project/target`` at once."""
    if getattr(config.option, "numprocesses", None) and not hasattr(config, "workerinput"):
        from orchestration.assets.dbt import ensure_manifest

        ensure_manifest()


def shared_fixtures(item: pytest.Item, scopes: tuple[str, ...]) -> set[str]:
    """The fixtures of this suite with one of ``scopes`` that ``item`` uses, one name per instance."""
    names = set()
    for name, defs in item._fixtureinfo.name2fixturedefs.items():  # pytest's record of the fixtures it uses
        fixture = defs[-1]
        if fixture.scope not in scopes or not Path(fixture.func.__code__.co_filename).is_relative_to(TESTS):
            continue
        owner = item.getparent(pytest.Class if fixture.scope == "class" else pytest.Module)
        names.add(name if fixture.scope == "session" else f"{owner.nodeid if owner else item.nodeid}::{name}")
    return names


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups off the marks
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On xdist workers:

    - tests sharing a module- or class-scoped fixture form one ``xdist_group`` (joined transitively), or each
      worker would build it again; session-scoped ones are shared across workers by themselves
      (tests/e2e/runs.build_once, file locks);
    - the end-to-end tests come first, the first user of each session-scoped fixture (a shared window) ahead of
      the other users, so the builds start at once on separate workers instead of one worker waiting on
      another's lock; the quick tiers fill in after."""
    if not hasattr(config, "workerinput"):
        return
    parent: dict[str, str] = {}

    def root(key: str) -> str:
        while parent.setdefault(key, key) != key:
            key = parent[key]
        return key

    uses = {item.nodeid: shared_fixtures(item, ("module", "class")) for item in items}
    for names in uses.values():
        for name in names:
            parent[root(name)] = root(min(names))
    for item in items:
        if uses[item.nodeid]:
            item.add_marker(pytest.mark.xdist_group(root(min(uses[item.nodeid]))))

    users: dict[str, int] = {}
    order = {}
    for item in items:
        shared = shared_fixtures(item, ("session",))
        earlier_users = max((users.get(n, 0) for n in shared), default=0)
        order[item.nodeid] = (item.get_closest_marker("e2e") is None, earlier_users)
        users.update({n: users.get(n, 0) + 1 for n in shared})
    items.sort(key=lambda item: order[item.nodeid])


@pytest.fixture(autouse=True)
def no_dagster_instance_left_current():
    """Each test starts with no Dagster instance current in its thread and leaves none behind: a context built
    outside a ``with`` block (``dg.build_asset_context()``) makes its ephemeral instance current until it is
    collected, and a later test that loads definitions in the same worker then fails with "Attempted to
    resolve undefined DagsterInstance weakref" (seen under xdist, whose order differs from the file order)."""
    from dagster._core.storage.defs_state.base import set_defs_state_storage

    with set_defs_state_storage(None):
        yield


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
