"""Great Expectations is imported without loading pyspark, which stays importable (orchestration.gates.ge_import)."""
import subprocess
import sys
import textwrap

CHECK = textwrap.dedent("""
    import importlib.util, sys
    from orchestration.gates.ge_import import great_expectations
    gx = great_expectations()
    assert gx is great_expectations(), "imported once"
    assert "pyspark" not in sys.modules, "GE's import loaded pyspark"
    assert "pyspark" not in [k for k, v in sys.modules.items() if v is None], "the hiding entry was left behind"
    from great_expectations.compatibility import pyspark as compat
    assert not compat.pyspark, "GE believes pyspark is there"
    if importlib.util.find_spec("pyspark") is not None:
        import pyspark  # still importable for whoever needs it
    print("ok")
""")


def test_ge_imports_without_pyspark_and_leaves_it_importable():
    # in a fresh interpreter: this process may have imported either already
    result = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr[-2000:]

