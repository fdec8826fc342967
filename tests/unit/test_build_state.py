"""What a marts run rebuilds: from the earliest raw day landed since the last publish, or the first day of its
window no publish with the same dbt project covered; at least the last day."""
from __future__ import annotations

from datetime import date, datetime

import duckdb

from orchestration.build_state import project_fingerprint, published_with, rebuild_window, record_publish
from orchestration.feeds.base import Window
from orchestration.raw_store import STATUS_TABLE

WINDOW = Window(date(2021, 1, 1), date(2024, 3, 1))


def _warehouse(landed: list[tuple[date, datetime]]):
    con = duckdb.connect()
    con.execute("create schema raw")
    con.execute(f"create table {STATUS_TABLE} (provider varchar, dataset varchar, partition_date date, "
                "status varchar, error varchar, landed_at timestamp)")
    for day, at in landed:
        con.execute(f"insert into {STATUS_TABLE} values ('binance', 'funding', ?, 'landed', null, ?)", [day, at])
    return con


def test_nothing_published_yet_rebuilds_the_whole_window():
    assert rebuild_window(_warehouse([]), WINDOW, "f1") == WINDOW


def test_a_rerun_of_a_published_window_rebuilds_only_its_last_day():
    con = _warehouse([(date(2024, 3, 1), datetime(2024, 3, 2, 0, 31))])
    record_publish(con, WINDOW, "f1", datetime(2024, 3, 2, 0, 40))
    assert rebuild_window(con, WINDOW, "f1") == Window(date(2024, 3, 1), date(2024, 3, 1))


def test_days_landed_since_the_publish_are_rebuilt_to_the_end():
    con = _warehouse([(date(2024, 2, 23), datetime(2024, 3, 3, 0, 31)), (date(2023, 6, 1), datetime(2024, 3, 3, 1))])
    record_publish(con, WINDOW, "f1", datetime(2024, 3, 2, 0, 40))
    assert rebuild_window(con, WINDOW, "f1") == Window(date(2023, 6, 1), date(2024, 3, 1))


def test_a_window_beyond_what_was_published_or_another_dbt_project_rebuilds_from_there():
    con = _warehouse([])
    record_publish(con, Window(date(2021, 1, 1), date(2024, 2, 1)), "f1", datetime(2024, 2, 2))
    assert rebuild_window(con, WINDOW, "f1") == Window(date(2024, 2, 2), date(2024, 3, 1))
    assert rebuild_window(con, WINDOW, "f2") == WINDOW  # a model changed: everything again
    assert published_with(con, "f1") and not published_with(con, "f2")  # the staging views are built again for f2
    assert not published_with(duckdb.connect(), "f1")


def test_the_fingerprint_follows_the_dbt_sources(tmp_path):
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "a.sql").write_text("select 1")
    first = project_fingerprint(tmp_path)
    (tmp_path / "target").mkdir()
    (tmp_path / "target" / "run.json").write_text("{}")  # build output is not a source
    assert project_fingerprint(tmp_path) == first
    (tmp_path / "models" / "a.sql").write_text("select 2")
    assert project_fingerprint(tmp_path) != first
