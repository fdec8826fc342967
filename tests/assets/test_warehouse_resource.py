"""The warehouse resource: a step holds the DuckDB file open for its body, and lets it go at the end of it; a run
may keep it open across its steps (make run's landing run)."""
from __future__ import annotations

import duckdb
import pytest

from orchestration.resources import WarehouseResource


def test_a_held_block_shares_one_open_file_and_releases_it(tmp_path):
    warehouse = WarehouseResource(warehouse_dir=str(tmp_path / "warehouse"))
    with warehouse.held():
        with warehouse.connect() as con:
            con.execute("create table t as select 1 as x")
        with warehouse.connect(read_only=True) as con:  # a cursor on the held file, sees the write at once
            assert con.execute("select x from t").fetchall() == [(1,)]
        with warehouse.held():  # nested: the same file, still held after the inner block
            pass
        with warehouse.connect() as con:
            con.execute("insert into t values (2)")
    # released: another process (dbt) could open it now; here, a read-only connection of its own
    with warehouse.connect(read_only=True) as con:
        assert con.execute("select x from t order by x").fetchall() == [(1,), (2,)]
        with pytest.raises(duckdb.Error):
            con.execute("insert into t values (3)")


def test_a_failing_block_still_releases_the_file(tmp_path):
    warehouse = WarehouseResource(warehouse_dir=str(tmp_path / "warehouse"))
    with pytest.raises(RuntimeError):
        with warehouse.held():
            with warehouse.connect() as con:
                con.execute("create table t as select 1 as x")
            raise RuntimeError("a step failed")
    con = duckdb.connect(str(warehouse.duckdb_path), read_only=True)  # would fail while still held
    assert con.execute("select count(*) from t").fetchone() == (1,)
    con.close()


def test_a_file_kept_open_across_steps_serves_every_held_block_and_is_released_after(tmp_path):
    from orchestration.resources import kept_open

    warehouse = WarehouseResource(warehouse_dir=str(tmp_path / "warehouse"))
    another = WarehouseResource(warehouse_dir=str(tmp_path / "warehouse"))  # a step's own resource, same file
    with kept_open(warehouse.duckdb_path):
        for step, resource in enumerate((warehouse, another)):
            with resource.held():  # each landing step's block: no open or close of its own
                with resource.connect() as con:
                    con.execute("create table if not exists t (x int)")
                    con.execute("insert into t values (?)", [step])
        with another.connect(read_only=True) as con:  # outside a held block too: a cursor on the kept file
            assert con.execute("select x from t order by x").fetchall() == [(0,), (1,)]
    with pytest.raises(RuntimeError):
        with kept_open(warehouse.duckdb_path):
            raise RuntimeError("the landing run failed")
    # released either way: another process (dbt) may open it for writing now
    con = duckdb.connect(str(warehouse.duckdb_path), read_only=True)
    assert con.execute("select count(*) from t").fetchone() == (2,)
    con.close()
