"""The cyclic collector's first-generation threshold is raised for batch runs, the older generations untouched."""
import gc

from orchestration import gc_settings


def test_only_the_first_generation_threshold_is_raised_and_twice_is_once():
    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        gc_settings.for_batch_runs()
        gc_settings.for_batch_runs()
        assert gc.get_threshold() == (gc_settings.FIRST_GENERATION_THRESHOLD, 10, 10)
        assert gc.isenabled()
    finally:
        gc.set_threshold(*before)


def test_loading_the_definitions_sets_it_for_dagster_run_workers():
    import subprocess
    import sys

    code = ("import gc; import orchestration.definitions; from orchestration.gc_settings import "
            "FIRST_GENERATION_THRESHOLD as t; assert gc.get_threshold()[0] == t, gc.get_threshold(); print('ok')")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.stdout.strip() == "ok", result.stderr[-2000:]
