"""The dbt unit tests (``unit_tests:`` in the models' YAML), run here because pipeline builds leave them out
(``assets.dbt.dbt_build_args``): they prove the models' SQL on fixed inputs, whatever the data.

dbt reads the column types of each unit test's inputs from the warehouse, so the relations must exist: every
raw table is created empty (``raw_store.create_raw_tables``) and the models are built with ``--empty`` (their
SQL runs on zero rows), each after its unit tests, as ``dbt build`` orders them. Every unit test in the
manifest must have run and passed.
"""
from __future__ import annotations

import json
import os
import subprocess

import duckdb

from orchestration.assets.dbt import DBT_PROJECT, dbt_executable, ensure_manifest
from orchestration.definitions import datasets
from orchestration.raw_store import create_raw_tables


def test_every_dbt_unit_test_passes(tmp_path):
    db = tmp_path / "empty.duckdb"
    with duckdb.connect(str(db)) as con:
        create_raw_tables(con, datasets())
    target = tmp_path / "target"
    env = {**os.environ, "LC_DUCKDB_PATH": str(db), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    proc = subprocess.run([dbt_executable(), "--no-use-colors", "build", "--empty", "--exclude-resource-type", "test",
                           "--project-dir", str(DBT_PROJECT.project_dir), "--profiles-dir",
                           str(DBT_PROJECT.profiles_dir), "--target-path", str(target)],
                          cwd=DBT_PROJECT.project_dir, env=env, capture_output=True, text=True)
    results = json.loads((target / "run_results.json").read_text())["results"]
    ran = {r["unique_id"]: r for r in results if r["unique_id"].startswith("unit_test.")}
    declared = {uid for uid in json.loads(ensure_manifest().read_text())["unit_tests"]}
    assert declared and set(ran) == declared, proc.stdout[-3000:]
    failed = {uid.split(".")[-1]: r["message"] for uid, r in ran.items() if r["status"] in ("fail", "error")}
    skipped = sorted(uid.split(".")[-1] for uid, r in ran.items() if r["status"] == "skipped")
    assert not failed and not skipped, "\n".join(f"{name}: {message}" for name, message in failed.items()) + \
        f"\nskipped (a model upstream of them failed its own): {', '.join(skipped) or 'none'}"
    assert proc.returncode == 0, proc.stdout[-3000:]
