"""End to end: the published snapshot opens in the readers BI tools embed. A DuckDB 1.x reader (a throwaway
virtualenv with ``duckdb<2``, as Evidence's ``@duckdb/node-api`` 1.4, the Metabase driver and DBeaver ship) lists
every published table; SQLAlchemy with duckdb-engine queries it read-only, as Superset does; every table has its
Parquet file and its manifest entry, named relative to ``published/``."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from filelock import FileLock

from orchestration.assets.publishing import PUBLISHED_MARTS
from orchestration.publish import DUCKDB_NAME, published_manifest

pytestmark = pytest.mark.e2e

# run by the DuckDB 1.x interpreter: what a 1.x reader sees in the snapshot
_LIST_TABLES = textwrap.dedent("""
    import json, sys
    import duckdb
    con = duckdb.connect(sys.argv[1], read_only=True)
    tables = con.execute("select table_name from information_schema.tables where table_schema = 'main'").fetchall()
    counts = {name: con.execute(f'select count(*) from "{name}"').fetchone()[0] for (name,) in tables}
    print(json.dumps({"version": duckdb.__version__, "row_counts": counts}))
""")


@pytest.fixture(scope="session")
def duckdb_1x(request) -> Path:
    """The Python of a virtualenv holding the newest DuckDB 1.x, created once and kept in pytest's cache (under a
    file lock: the cache is shared by every worker and by concurrent sessions)."""
    venv = Path(request.config.cache.mkdir("duckdb-1x-venv"))
    python = venv / "bin" / "python"
    probe = [str(python), "-c", "import duckdb, sys; sys.exit(not duckdb.__version__.startswith('1.'))"]
    with FileLock(str(venv) + ".lock"):
        if python.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
            return python
        try:
            subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True, capture_output=True)
            subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                            "duckdb<2"], check=True, capture_output=True, text=True, timeout=600)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            detail = (getattr(exc, "stderr", None) or str(exc)).strip().splitlines()[-1:]
            pytest.skip(f"cannot install duckdb<2 into a throwaway virtualenv at {venv} (no package index?): "
                        f"{detail}")
    return python


def test_a_duckdb_1x_reader_opens_the_snapshot_and_lists_the_published_tables(sample_window, duckdb_1x):
    warehouse = sample_window.warehouse
    published = warehouse / "published"
    out = subprocess.run([str(duckdb_1x), "-c", _LIST_TABLES, str(published / DUCKDB_NAME)],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout)
    assert seen["version"].startswith("1.")
    assert sorted(seen["row_counts"]) == sorted(PUBLISHED_MARTS)
    assert seen["row_counts"] == published_manifest(published)["row_counts"]
    assert seen["row_counts"]["leverage_condition"] == 103 and seen["row_counts"]["venue_daily"] > 0


def test_superset_reads_the_snapshot_through_sqlalchemy_and_duckdb_engine(sample_window):
    import sqlalchemy as sa

    warehouse = sample_window.warehouse
    path = (warehouse / "published" / DUCKDB_NAME).resolve()
    # the URI and engine parameters Superset's database form takes (README, "Where BI tools connect")
    engine = sa.create_engine(f"duckdb:///{path}", connect_args={"read_only": True})
    try:
        with engine.connect() as con:
            assert sorted(sa.inspect(con).get_table_names()) == sorted(PUBLISHED_MARTS)
            latest = con.execute(sa.text(
                "select date, position_size_multiplier, oi_usd_total from leverage_condition "
                "order by date desc limit 1")).one()
            assert str(latest.date) == "2024-08-15" and latest.position_size_multiplier in (0.5, 1.0)
            # a chart of OI by venue: the venues add up to the mart's total on the days it is their sum
            gaps = con.execute(sa.text(
                "select count(*) from leverage_condition m join (select date, sum(oi_usd) as oi_usd "
                "from venue_daily group by date) v using (date) "
                "where m.oi_source = 'venues' and abs(v.oi_usd - m.oi_usd_total) > 1e-6 * m.oi_usd_total")).scalar()
            assert gaps == 0
            with pytest.raises(sa.exc.DBAPIError, match="read-only"):
                con.execute(sa.text("create table scribble as select 1 as x"))
    finally:
        engine.dispose()


def test_every_published_table_has_its_parquet_and_a_relative_manifest_entry(sample_window):
    import duckdb

    warehouse = sample_window.warehouse
    published = warehouse / "published"
    manifest = published_manifest(published)
    assert manifest["duckdb_path"] == DUCKDB_NAME
    assert sorted(manifest["parquet_paths"]) == sorted(PUBLISHED_MARTS)
    con = duckdb.connect()
    try:
        for table, relative in manifest["parquet_paths"].items():
            assert relative == f"{table}.parquet"
            parquet = published / relative
            assert parquet.is_file(), table
            rows = con.execute("select count(*) from read_parquet(?)", [str(parquet)]).fetchone()[0]
            assert rows == manifest["row_counts"][table], table
    finally:
        con.close()
    assert str(warehouse) not in (published / "manifest.json").read_text()
