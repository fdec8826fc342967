"""The dbt docs are complete where people read them: every mart column described, the exposures in step with
what publishing copies, and ``make docs`` writes one HTML page that asks the network for nothing."""
from __future__ import annotations

import json
import re

import pytest

from orchestration.assets.dbt import ensure_manifest
from orchestration.assets.publishing import PUBLISHED_MARTS

MARTS_PATH = "models/marts/"


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads(ensure_manifest().read_text())


def published_nodes(manifest: dict) -> list[dict]:
    """Every model under models/marts/ (a mart added later is covered without a change here) and every table
    publishing copies (a seed among them)."""
    return [node for node in manifest["nodes"].values()
            if node["resource_type"] in ("model", "seed")
            and (node["original_file_path"].startswith(MARTS_PATH) or node["name"] in PUBLISHED_MARTS)]


def undescribed(node: dict) -> list[str]:
    return [name for name, column in node["columns"].items() if not (column.get("description") or "").strip()]


def test_every_mart_and_published_table_describes_itself_and_every_column(manifest):
    nodes = published_nodes(manifest)
    assert {"leverage_condition", "sizing_backtest", *PUBLISHED_MARTS} <= {n["name"] for n in nodes}
    missing = {n["name"]: undescribed(n) for n in nodes if undescribed(n)}
    assert not missing, f"columns without a description (add one in the model's yml): {missing}"
    assert all(n["columns"] for n in nodes), "a published table declares no columns"
    assert all(n["description"].strip() for n in nodes)


def test_the_check_finds_an_undescribed_column():
    node = {"columns": {"date": {"description": "UTC day."}, "price": {"description": "  "}, "x": {}}}
    assert undescribed(node) == ["price", "x"]


def exposure(manifest: dict, name: str) -> dict:
    (found,) = [e for e in manifest["exposures"].values() if e["name"] == name]
    return found


def depends_on_names(manifest: dict, name: str) -> list[str]:
    nodes = manifest["nodes"]
    return sorted(nodes[uid]["name"] for uid in exposure(manifest, name)["depends_on"]["nodes"])


def test_the_snapshot_exposure_depends_on_exactly_the_published_marts(manifest):
    assert depends_on_names(manifest, "bi_snapshot") == sorted(PUBLISHED_MARTS)


def test_the_report_exposure_reads_published_tables_and_both_name_owner_and_place(manifest):
    from orchestration.report.snapshot import REPORT_TABLES

    assert depends_on_names(manifest, "report") == sorted(REPORT_TABLES)
    assert set(REPORT_TABLES) <= set(PUBLISHED_MARTS)
    for name, path in (("report", "warehouse/published/report.html"),
                       ("bi_snapshot", "warehouse/published/marts.duckdb")):
        found = exposure(manifest, name)
        assert found["owner"]["name"] and found["description"].strip() and found["url"]
        assert found["meta"]["path"] == path


@pytest.mark.parametrize("empty_catalog", [True, False])
def test_docs_command_writes_the_static_site_into_its_own_target(tmp_path, empty_catalog):
    from orchestration.docs import docs_command

    command = docs_command(tmp_path / "target", empty_catalog)
    assert command[command.index("generate") - 1:command.index("generate") + 2] == ["docs", "generate", "--static"]
    assert command[command.index("--target-path") + 1] == str(tmp_path / "target")
    assert ("--empty-catalog" in command) is empty_catalog
    assert "--no-send-anonymous-usage-stats" in command


def test_copy_database_takes_the_file_and_its_wal(tmp_path):
    from orchestration.docs import copy_database

    source = tmp_path / "wh" / "leverage.duckdb"
    source.parent.mkdir()
    source.write_bytes(b"db")
    source.with_name("leverage.duckdb.wal").write_bytes(b"wal")
    (tmp_path / "copy").mkdir()
    copy = copy_database(source, tmp_path / "copy")
    assert copy.read_bytes() == b"db" and copy.with_name("leverage.duckdb.wal").read_bytes() == b"wal"


def test_make_docs_on_a_fresh_clone_writes_one_offline_page(tmp_path):
    """No warehouse yet: the page holds every description (empty catalog) and loads nothing from the network
    (dbt's docs JS loads its tracker only when the manifest allows anonymous usage stats, which it does not)."""
    from orchestration.docs import generate_docs

    result = generate_docs(tmp_path / "warehouse")
    assert result.page == tmp_path / "warehouse" / "docs" / "index.html" and result.catalog_from is None
    html = result.page.read_text()
    assert "bi_snapshot" in html and "position_size_multiplier" in html
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=[\"']?(https?:)?//", html)
    assert re.search(r'"send_anonymous_usage_stats": ?false', html)
    assert not list(result.page.parent.glob(".index.html.tmp-*"))
