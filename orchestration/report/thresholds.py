"""The thresholds the verdict used: the dbt vars of ``dbt_project.yml`` (their one home), read, never restated."""
from __future__ import annotations

from pathlib import Path

import yaml

from orchestration.config import DBT_PROJECT_DIR


def dbt_vars(project_dir: Path = DBT_PROJECT_DIR) -> dict:
    with open(Path(project_dir) / "dbt_project.yml", encoding="utf-8") as handle:
        return dict(yaml.safe_load(handle).get("vars") or {})
