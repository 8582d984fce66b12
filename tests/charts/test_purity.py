"""The charts package must stay free of Django (DESIGN.md: pure cores)."""

from __future__ import annotations

import subprocess
import sys


def test_the_charts_package_imports_without_django() -> None:
    code = (
        "import sys\n"
        "import ketamine_clinic.charts.frame, ketamine_clinic.charts.paths\n"
        "import ketamine_clinic.charts.scales, ketamine_clinic.charts.ticks\n"
        "bad = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(  # noqa: S603 - fixed arguments, our own interpreter
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
