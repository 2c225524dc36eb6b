"""Great Expectations imports PySpark when it is installed, and PySpark 4 ends the process with exit
code 0 during that import when the main module has no file (``python -c``, pytest-xdist workers):
validation would silently never happen. The guarded import must survive it, before and after
PySpark itself was imported (the matcher's Spark backend imports it in the same process)."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytest.importorskip("pyspark")


@pytest.mark.parametrize("pyspark_first", [False, True])
def test_validation_imports_great_expectations_under_python_c(pyspark_first: bool) -> None:
    code = (
        ("import pyspark\n" if pyspark_first else "")
        + "from crm_pipeline.validate.runner import _gx_module\n"
        + "print('imported', _gx_module().__name__)\n"
        + "import pyspark.sql\n"  # Spark is still usable afterwards
        + "print('spark ok')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "imported great_expectations" in proc.stdout
    assert "spark ok" in proc.stdout
