"""The bad-payload corpus (``tests/corpus/payloads.py``) through the connectors' saved-payload command line:
an ``error`` case exits 1 with one line naming the provider, the dataset and what is wrong, never a
traceback; any other case prints its rows. Landing and the gates: ``tests/assets/test_bad_payload_landing.py``."""
from __future__ import annotations

import collections
import json
import subprocess
import sys

import pytest

from orchestration.feeds.base import cli, headers_file
from tests.corpus.payloads import corpus, module_of

CASES = corpus()


def test_every_dataset_has_at_least_ten_bad_payloads_of_each_kind_it_can_have():
    per_dataset = collections.Counter(case.dataset for case in CASES)
    from orchestration.definitions import datasets

    assert set(per_dataset) == {f"{d.provider.name}/{d.name}" for d in datasets()}
    assert min(per_dataset.values()) >= 10, per_dataset
    outcomes = collections.Counter(case.outcome for case in CASES)
    assert set(outcomes) == {"error", "gate", "harmless"}


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_cli_names_the_problem_or_prints_rows(case, tmp_path, capsys):
    path = tmp_path / "payload"
    path.write_bytes(case.body)
    if case.headers:  # kept beside the payload, as landing keeps them
        headers_file(path).write_text(json.dumps(case.headers))
    provider, name = case.dataset.split("/")
    code = cli(module_of(case.dataset).DATASETS, [name, str(path)])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    if case.outcome == "error":
        assert code == 1, out[:300]
        assert err.startswith(f"error: [{case.dataset}] "), err  # a FeedParseError, not an unexpected exception
        assert case.expect in err, err
        assert len(err.strip().splitlines()) == 1
    else:
        assert code == 0, err
        header, *rows = out.splitlines()
        assert header.split(",") == list(module_of(case.dataset).DATASETS[name].columns) and rows


@pytest.mark.parametrize("module,dataset,case_name", [
    ("binance", "open_interest", "archive: corrupt deflate data"),
    ("binance", "open_interest", "archive: CSV not UTF-8"),
    ("dydx", "funding", "100k-deep nesting"),
    ("coinglass", "liquidation_heatmap", "time stamp is a bool"),
])
def test_python_dash_m_never_prints_a_traceback(module, dataset, case_name, tmp_path):
    """The very command a person runs on a saved payload, in a fresh interpreter."""
    case = next(c for c in CASES if c.dataset.endswith(f"/{dataset}") and c.name == case_name
                and module_of(c.dataset).__name__.endswith(module))
    path = tmp_path / "payload"
    path.write_bytes(case.body)
    done = subprocess.run([sys.executable, "-m", f"orchestration.feeds.{module}", dataset, str(path)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.startswith(f"error: [{case.dataset}]") and case.expect in done.stderr
