"""Great Expectations, imported without its Spark probe.

GE's import tries ``import pyspark`` (``great_expectations.compatibility.pyspark``) and loads it whenever it is
installed: ~0.4 s in every process. The gates only ever validate pandas frames, while pyspark sits in the same
environment for the dbt Spark target (``make test-spark``). So the one import of GE runs with pyspark hidden;
pyspark stays importable for everything else afterwards.
"""
from __future__ import annotations

import sys
from types import ModuleType

_HIDDEN = ("pyspark",)


def great_expectations() -> ModuleType:
    """The ``great_expectations`` package, imported on first call with pyspark hidden from its probe."""
    if "great_expectations" in sys.modules:
        return sys.modules["great_expectations"]
    hidden = [name for name in _HIDDEN if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # import raises ImportError: GE's "not installed"
    try:
        import great_expectations
    finally:
        for name in hidden:
            if sys.modules.get(name, ...) is None:
                del sys.modules[name]
    return great_expectations
