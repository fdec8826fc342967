"""Configuration errors: each names the setting, the value, what is allowed and what to do, and the command
line prints it as one line and exits 2 before anything runs."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from orchestration import cli
from orchestration.config import PARTITIONS_START, ConfigError, latest_complete_day, settings

VARIABLES = ("LC_MODE", "LC_START_DATE", "LC_END_DATE", "LC_RECORDED_DIR", "LC_WAREHOUSE_DIR", "LC_SAMPLE_NOW",
             "LC_DBT_TARGET", "LC_LAKE")


@pytest.fixture
def env(monkeypatch, tmp_path):
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LC_WAREHOUSE_DIR", str(tmp_path / "warehouse"))

    def set_(**values):
        for name, value in values.items():
            monkeypatch.setenv(name, value)
    return set_


LATEST = latest_complete_day()
CASES = {
    "mode": ({"LC_MODE": "bogus"}, "LC_MODE", "bogus", "is not a mode", "sample", "set one of them"),
    "not a date": ({"LC_START_DATE": "2021-13-01"}, "LC_START_DATE", "2021-13-01", "is not a date", "YYYY-MM-DD",
                   "use e.g."),
    "start after end": ({"LC_START_DATE": "2024-01-10", "LC_END_DATE": "2024-01-01"}, "LC_START_DATE",
                        date(2024, 1, 10), "is after LC_END_DATE=2024-01-01", "first day to its last",
                        "set LC_START_DATE on or before 2024-01-01"),
    "start before the partitions": ({"LC_START_DATE": "2019-01-01", "LC_END_DATE": "2019-01-05"}, "LC_START_DATE",
                                    date(2019, 1, 1), "is before the first partition", str(PARTITIONS_START),
                                    f"set LC_START_DATE={PARTITIONS_START} or later"),
    "end in the future": ({"LC_END_DATE": "2030-01-01"}, "LC_END_DATE", date(2030, 1, 1),
                          "is after the latest complete UTC day", "days that have not ended cannot be landed",
                          f"set LC_END_DATE={LATEST} or earlier"),
    "start after the default end": ({"LC_START_DATE": "2030-01-01"}, "LC_START_DATE", date(2030, 1, 1),
                                    f"is after {LATEST} (the latest complete UTC day, the default end)",
                                    "first day to its last", f"on or before {LATEST}"),
    "missing recorded folder": ({"LC_MODE": "recorded", "LC_RECORDED_DIR": "/nonexistent/realdata"},
                                "LC_RECORDED_DIR", "/nonexistent/realdata", "does not exist",
                                "laid out like ../shared/realdata", "LC_MODE=sample"),
    "sample clock": ({"LC_SAMPLE_NOW": "yesterday"}, "LC_SAMPLE_NOW", "yesterday", "is not a timestamp",
                     "ISO 8601", "unset it"),
    "end after the pinned clock": ({"LC_SAMPLE_NOW": "2024-08-16T00:30:00+00:00", "LC_END_DATE": "2024-09-01"},
                                   "LC_END_DATE", date(2024, 9, 1), "is after the latest complete UTC day",
                                   "2024-08-15 (by LC_SAMPLE_NOW)", "set LC_END_DATE=2024-08-15 or earlier"),
    "dbt target": ({"LC_DBT_TARGET": "bogus"}, "LC_DBT_TARGET", "bogus", "is not a dbt target", "duckdb (the default)",
                   "set one of them"),
    # dbt on Spark reads the raw layer from the Parquet lake, which the landing writes only when asked
    "spark without the lake": ({"LC_DBT_TARGET": "spark", "LC_LAKE": "off"}, "LC_DBT_TARGET", "spark",
                               "reads the raw tables from the Parquet lake", "LC_LAKE=on", "set LC_LAKE=on"),
}


@pytest.mark.parametrize("case", CASES)
def test_each_bad_setting_names_variable_value_allowed_and_remedy(env, case):
    values, setting, value, problem, allowed, remedy = CASES[case]
    env(**values)
    with pytest.raises(ConfigError) as err:
        settings()
    error = err.value
    assert (error.setting, str(error.value)) == (setting, str(value))
    assert problem in error.problem and allowed in error.allowed and remedy in error.remedy
    assert str(error).startswith(f"{setting}={value} {problem}") and "\n" not in str(error)


@pytest.mark.parametrize("case", ["mode", "not a date", "start after end", "end in the future"])
def test_the_command_line_prints_one_line_and_exits_2(env, case, capsys):
    env(**CASES[case][0])
    assert cli.main(["run"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and err.startswith(f"error: {CASES[case][1]}=")
    assert "Traceback" not in err


@pytest.mark.parametrize("argv, line", [
    (["--start", "2021-13-01"], "error: --start 2021-13-01 is not a date: days are written YYYY-MM-DD; use e.g. "
                                "2021-03-01"),
    (["--start", "2024-01-10", "--end", "2024-01-01"], "error: --start 2024-01-10 is after --end 2024-01-01: a window "
                                                       "runs from its first day to its last; set --start on or before "
                                                       "2024-01-01"),
    (["--start", "2019-01-01", "--end", "2021-02-01"], "error: --start 2019-01-01 is before the first partition: days "
                                                       "from 2021-01-01 on can be landed; set --start 2021-01-01 or "
                                                       "later"),
    (["--days", "0"], "error: --days 0 is not a number of days: the verdict table shows 1 day or more; use e.g. "
                      "--days 10"),
])
def test_command_line_flags_get_the_same_one_line_errors(env, argv, line, capsys):
    assert cli.main(["run", *argv]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err == line + "\n"


def test_a_flag_names_the_environment_variable_it_contradicts(env, capsys):
    env(LC_END_DATE="2024-01-01")
    assert cli.main(["run", "--start", "2024-02-01"]) == 2
    assert "--start 2024-02-01 is after LC_END_DATE=2024-01-01" in capsys.readouterr().err


def test_good_settings_and_defaults(env, tmp_path):
    env(LC_START_DATE="2024-05-05", LC_END_DATE="2024-08-15")
    config = settings()
    assert (config.mode, config.start_date, config.end_date) == ("sample", date(2024, 5, 5), date(2024, 8, 15))
    assert config.warehouse_dir == (tmp_path / "warehouse").resolve()


def test_the_default_end_follows_the_pinned_sample_clock(env):
    env(LC_SAMPLE_NOW="2024-08-16T00:30:00+00:00")
    config = settings()
    assert (config.start_date, config.end_date) == (PARTITIONS_START, date(2024, 8, 15))


def test_recorded_windows_beyond_the_recorded_span_are_allowed(env, realdata):
    """Days outside what was recorded land unavailable, like a provider's days beyond its history."""
    env(LC_MODE="recorded", LC_RECORDED_DIR=str(realdata), LC_START_DATE="2021-01-01",
        LC_END_DATE=str(latest_complete_day(datetime.now(timezone.utc))))
    config = settings()
    assert config.mode == "recorded" and config.end_date == latest_complete_day()


def test_the_command_as_run_keeps_its_exit_code_and_every_line(tmp_path):
    """``python -m orchestration.cli`` leaves through ``cli.exit_now`` (no interpreter teardown): the exit code
    and what was printed, on both streams and through a pipe, are all there."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("LC_")}
    env.update(LC_WAREHOUSE_DIR=str(tmp_path / "warehouse"), LC_START_DATE="2021-13-01")
    bad = subprocess.run([sys.executable, "-m", "orchestration.cli", "run"], env=env, capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr == "error: LC_START_DATE=2021-13-01 is not a date: days are written YYYY-MM-DD; use e.g. " \
                         "2021-03-01\n"
    env.pop("LC_START_DATE")
    missing = subprocess.run([sys.executable, "-m", "orchestration.cli", "verdict"], env=env, capture_output=True,
                             text=True)
    assert missing.returncode == 1 and missing.stderr.startswith("error: no published snapshot at ")
    assert missing.stderr.endswith("run `make run` first\n")
