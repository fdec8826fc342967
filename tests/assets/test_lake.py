"""The raw layer's Parquet lake (``orchestration.lake``): after every landing, each raw table and the landing status
are, day by day, exactly what DuckDB holds, in the Hive layout the Spark target reads."""
from __future__ import annotations

import json
import os
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pytest

from orchestration import lake
from orchestration.feeds import binance, cftc, farside
from orchestration.feeds.base import Window
from orchestration.feeds.http import FeedClient, HttpResponse, RateLimiter
from orchestration.feeds.registry import datasets
from orchestration.raw_store import (STATUS_COLUMNS, STATUS_TABLE, WarehouseFault, create_raw_tables, land,
                                     raw_columns, raw_table, skip)
from tests.conftest import land_from_sample

NOW = datetime(2024, 3, 2, 0, 30, tzinfo=timezone.utc)
WINDOW = Window(date(2024, 2, 5), date(2024, 2, 11))


@pytest.fixture(autouse=True)
def lake_on(monkeypatch):
    """The lake is kept only with LC_LAKE=on (off by default: test_the_lake_is_off_unless_asked_for)."""
    monkeypatch.setenv("LC_LAKE", "on")


@pytest.fixture
def warehouse(tmp_path) -> Path:
    return tmp_path / "warehouse"


@pytest.fixture
def con(warehouse):
    warehouse.mkdir()
    connection = duckdb.connect(str(warehouse / "leverage.duckdb"))
    yield connection
    connection.close()


def columns(con, table: str) -> list[tuple[str, str]]:
    schema, name = table.split(".")
    return con.execute("select column_name, data_type from duckdb_columns() where schema_name = ? and table_name = ? "
                       "order by column_index", [schema, name]).fetchall()


def read_back(con, table: str, folder: Path) -> list[tuple]:
    """The lake's rows of ``table``, columns in the DuckDB table's order, sorted."""
    names = ", ".join(f'"{name}"' for name, _ in columns(con, table))
    return con.execute(f"select {names} from read_parquet('{folder}/*/*.parquet', hive_partitioning = true) "
                       "order by all").fetchall()


def assert_lake_is_table(con, table: str, folder: Path) -> None:
    """Same rows, same types (partition_date a DATE from the path), one data.parquet per day held, nothing else."""
    rows = con.execute(f"select * from {table} order by all").fetchall()
    days = {row[0] for row in con.execute(f"select distinct partition_date from {table}").fetchall()}
    entries = sorted(os.listdir(folder))
    assert entries == sorted(f"partition_date={day}" for day in days)
    for entry in entries:
        assert os.listdir(folder / entry) == ["data.parquet"]
    if not rows:
        return
    assert read_back(con, table, folder) == rows
    names = ", ".join(f'"{name}"' for name, _ in columns(con, table))
    types = con.execute(f"select column_name, column_type from (describe select {names} from "
                        f"read_parquet('{folder}/*/*.parquet', hive_partitioning = true))").fetchall()
    assert types == columns(con, table)
    # partition_date is in the path only; the file holds every other column, in the table's order and types
    in_file = con.execute(f"select * from (describe select * from read_parquet('{folder}/{entries[0]}/data.parquet', "
                          "hive_partitioning = false))").fetchall()
    assert [(name, kind) for name, kind, *_ in in_file] == [c for c in columns(con, table) if c[0] != "partition_date"]


def files(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def test_landing_writes_each_table_day_by_day_as_duckdb_holds_it(con, warehouse):
    landed = [binance.Funding(), farside.DATASETS["flows"], cftc.DATASETS["cme_open_interest"]]
    for dataset in landed:
        land_from_sample(dataset, WINDOW, NOW, con, warehouse / "raw")
    root = warehouse / "lake"
    assert lake.lake_of(con) == root.resolve()
    for dataset in landed:
        assert_lake_is_table(con, raw_table(dataset), root / f"{dataset.provider.name}__{dataset.name}")
    assert_lake_is_table(con, STATUS_TABLE, root / "_landing_status")
    assert not (root / "_manifest").exists()  # no model reads the manifest
    # cftc's weekly report replaces days before the window too: they are in the lake as in DuckDB
    assert min(lake.lake_days(root, raw_table(cftc.DATASETS["cme_open_interest"]))) < WINDOW.start
    # what the Spark target registers: the columns raw_store creates, in order
    tables = lake.lake_tables()
    assert tables["binance__funding"] == raw_columns(binance.Funding())
    assert tables["_landing_status"] == STATUS_COLUMNS
    for dataset in landed:
        assert list(tables[f"{dataset.provider.name}__{dataset.name}"].items()) == columns(con, raw_table(dataset))
    assert list(tables["_landing_status"].items()) == columns(con, STATUS_TABLE)
    assert len(tables) == len(datasets()) + 1


def test_relanding_a_window_is_idempotent(con, warehouse):
    dataset = binance.Funding()
    land_from_sample(dataset, WINDOW, NOW, con, warehouse / "raw")
    folder = warehouse / "lake" / "binance__funding"
    before = files(folder)
    land_from_sample(dataset, WINDOW, NOW, con, warehouse / "raw")
    assert files(folder) == before  # the same files, byte for byte
    part = Window(date(2024, 2, 7), date(2024, 2, 8))
    land_from_sample(dataset, part, NOW, con, warehouse / "raw")
    after = files(folder)  # its two days come from a new payload (its sha256 is in the rows); the others unchanged
    assert {name for name in before if after[name] != before[name]} == {
        "partition_date=2024-02-07/data.parquet", "partition_date=2024-02-08/data.parquet"}
    assert_lake_is_table(con, raw_table(dataset), folder)
    land_from_sample(dataset, part, NOW, con, warehouse / "raw")
    assert files(folder) == after
    assert_lake_is_table(con, STATUS_TABLE, warehouse / "lake" / "_landing_status")  # new landed_at, same days


class FundingServer:
    """Binance funding, 3 settlements a day; the days in ``missing`` have none."""

    def __init__(self, missing=frozenset()):
        self.missing = missing

    def send(self, request, timeout):
        start, end = int(request.params["startTime"]), int(request.params["endTime"])
        rows, t = [], datetime(2024, 2, 1, tzinfo=timezone.utc)
        while t.timestamp() * 1000 <= end:
            if t.timestamp() * 1000 >= start and t.date() not in self.missing:
                rows.append({"symbol": "BTCUSDT", "fundingTime": int(t.timestamp() * 1000), "fundingRate": "0.0001",
                             "markPrice": "40000"})
            t += timedelta(hours=8)
        return HttpResponse(200, json.dumps(rows).encode())


def client(transport):
    return FeedClient(binance.PROVIDER, transport, rate_limiter=RateLimiter(0), sleep=lambda s: None)


def test_a_day_that_loses_its_rows_loses_its_folder(con, warehouse):
    window = Window(date(2024, 2, 1), date(2024, 2, 5))
    land(binance.Funding(), window, client(FundingServer()), warehouse / "raw", con, NOW)
    folder = warehouse / "lake" / "binance__funding"
    assert (folder / "partition_date=2024-02-03" / "data.parquet").exists()
    result = land(binance.Funding(), window, client(FundingServer(missing={date(2024, 2, 3)})), warehouse / "raw",
                  con, NOW, raise_on_error=False)
    assert result.statuses[date(2024, 2, 3)][0] == "failed"  # a day without rows, replaced by none
    assert not (folder / "partition_date=2024-02-03").exists()
    assert_lake_is_table(con, raw_table(binance.Funding()), folder)
    assert_lake_is_table(con, STATUS_TABLE, warehouse / "lake" / "_landing_status")


def test_replacing_leaves_no_temporary_file_and_overwrites_one_left_by_a_crash(con, warehouse):
    dataset = binance.Funding()
    land_from_sample(dataset, WINDOW, NOW, con, warehouse / "raw")
    root = warehouse / "lake"
    day = root / "binance__funding" / "partition_date=2024-02-06"
    (day / lake.WRITING_FILE).write_bytes(b"half a file from a process that died")
    assert len(read_back(con, raw_table(dataset), root / "binance__funding")) == 21  # a glob does not see it
    land_from_sample(dataset, Window(date(2024, 2, 6), date(2024, 2, 6)), NOW, con, warehouse / "raw")
    assert not [path for path in root.rglob("*") if path.name.startswith(".")]
    assert_lake_is_table(con, raw_table(dataset), root / "binance__funding")


def test_a_skipped_feed_reaches_the_landing_status_and_keeps_an_empty_folder(con, warehouse):
    dataset = binance.Funding()
    skip(dataset, WINDOW, con, "BINANCE_KEY is not set")
    root = warehouse / "lake"
    assert os.listdir(root / "binance__funding") == []  # no rows: the folder, no partitions
    assert_lake_is_table(con, STATUS_TABLE, root / "_landing_status")
    statuses = {row[3] for row in read_back(con, STATUS_TABLE, root / "_landing_status")}
    assert statuses == {"skipped"}


def test_create_raw_tables_gives_every_table_an_empty_folder(con, warehouse):
    create_raw_tables(con, datasets())
    root = warehouse / "lake"
    assert sorted(os.listdir(root)) == sorted(lake.lake_tables())
    assert all(os.listdir(root / name) == [] for name in os.listdir(root))


def test_status_days_wait_for_the_end_of_a_batch(con, warehouse):
    folder = warehouse / "lake" / "_landing_status"
    land_from_sample(binance.Funding(), WINDOW, NOW, con, warehouse / "raw")
    with lake.batched(con):
        land_from_sample(farside.DATASETS["flows"], WINDOW, NOW, con, warehouse / "raw")
        assert {row[1] for row in read_back(con, STATUS_TABLE, folder)} == {"funding"}  # not yet
        assert_lake_is_table(con, "raw.farside__flows", warehouse / "lake" / "farside__flows")  # raw tables at once
    assert_lake_is_table(con, STATUS_TABLE, folder)


def test_export_all_writes_a_warehouse_landed_before_the_lake(con, warehouse, capsys):
    for dataset in (binance.Funding(), farside.DATASETS["flows"]):
        land_from_sample(dataset, WINDOW, NOW, con, warehouse / "raw")
    root = warehouse / "lake"
    expected = {name: files(root / name) for name in os.listdir(root)}
    for path in sorted(root.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    stray = root / "binance__funding" / "partition_date=2020-01-01"  # a day the table does not hold
    stray.mkdir(parents=True)
    (stray / "data.parquet").write_bytes(b"stale")
    con.close()
    assert lake.main(["export", "--warehouse", str(warehouse)]) == 0
    assert "binance__funding: 7 day file(s) written, 1 day folder(s) removed" in capsys.readouterr().out
    assert {name: files(root / name) for name in expected} == expected  # the same bytes as the landing wrote
    with duckdb.connect(str(warehouse / "leverage.duckdb")) as again:
        for table in lake.raw_tables(again):
            assert_lake_is_table(again, table, lake.table_folder(root, table))


def test_a_missing_table_folder_is_written_in_full_by_the_next_landing(con, warehouse):
    dataset = binance.Funding()
    land_from_sample(dataset, WINDOW, NOW, con, warehouse / "raw")
    folder = warehouse / "lake" / "binance__funding"
    for path in sorted(folder.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    folder.rmdir()
    land_from_sample(dataset, Window(WINDOW.end, WINDOW.end), NOW, con, warehouse / "raw")
    assert len(os.listdir(folder)) == 7
    assert_lake_is_table(con, raw_table(dataset), folder)


def test_a_lake_that_cannot_be_written_is_a_warehouse_fault(con, warehouse):
    (warehouse / "lake").write_text("not a folder")
    with pytest.raises(WarehouseFault, match="Parquet lake"):
        land(binance.Funding(), Window(date(2024, 2, 1), date(2024, 2, 2)), client(FundingServer()),
             warehouse / "raw", con, NOW)
    assert con.execute("select count(*) from raw.binance__funding").fetchone()[0] == 6  # DuckDB committed


def test_an_in_memory_warehouse_has_no_lake(tmp_path):
    with duckdb.connect() as con:
        assert lake.lake_of(con) is None
        land(binance.Funding(), Window(date(2024, 2, 1), date(2024, 2, 2)), client(FundingServer()),
             tmp_path / "raw", con, NOW)
    assert sorted(os.listdir(tmp_path)) == ["raw"]


def test_the_landing_asset_keeps_the_lake_beside_the_warehouse_file(tmp_path):
    """Through Dagster: a landing step (each status day at once) and ``make run``'s landing run in ``kept_open``
    (the status days once, when the file closes) leave the same lake, equal to the DuckDB tables."""
    import dagster as dg

    from orchestration.assets.landing import landing_asset
    from orchestration.partitions import window_tags
    from orchestration.resources import FeedTransportResource, WarehouseResource, kept_open

    warehouse = WarehouseResource(warehouse_dir=str(tmp_path / "warehouse"))
    resources = {"warehouse": warehouse, "feeds": FeedTransportResource(mode="sample", sample_now=NOW.isoformat())}
    assets = [landing_asset(binance.DATASETS["funding"]), landing_asset(farside.DATASETS["flows"])]
    tags = window_tags(Window(date(2024, 2, 26), date(2024, 3, 1)))
    assert dg.materialize(assets[:1], partition_key="2024", tags=tags, resources=resources).success
    with kept_open(warehouse.duckdb_path):
        assert dg.materialize(assets[1:], partition_key="2024", tags=tags, resources=resources).success
    assert warehouse.lake_dir == tmp_path / "warehouse" / "lake"
    with duckdb.connect(str(warehouse.duckdb_path), read_only=True) as con:
        for table in ("raw.binance__funding", "raw.farside__flows", STATUS_TABLE):
            assert_lake_is_table(con, table, lake.table_folder(warehouse.lake_dir, table))


def test_the_lake_is_off_unless_asked_for(con, warehouse, monkeypatch):
    monkeypatch.delenv("LC_LAKE")
    assert lake.lake_of(con) is None
    land(binance.Funding(), Window(date(2024, 2, 1), date(2024, 2, 2)), client(FundingServer()),
         warehouse / "raw", con, NOW)
    assert not (warehouse / "lake").exists()
    monkeypatch.setenv("LC_LAKE", "off")
    assert lake.lake_of(con) is None
    monkeypatch.setenv("LC_LAKE", "maybe")
    with pytest.raises(ValueError, match="LC_LAKE=maybe is not a switch"):
        lake.lake_of(con)
    # asked for by name, the export writes it whatever LC_LAKE says
    monkeypatch.setenv("LC_LAKE", "off")
    assert lake.main(["export", "--warehouse", str(warehouse)]) == 0
    assert (warehouse / "lake" / "binance__funding").is_dir()
