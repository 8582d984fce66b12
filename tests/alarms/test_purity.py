"""The alarms package must stay free of Django (DESIGN.md: pure cores)."""

from __future__ import annotations

import subprocess
import sys


def test_the_alarms_package_imports_without_django() -> None:
    code = (
        "import sys\n"
        "import ketamine_clinic.alarms.engine\n"
        "import ketamine_clinic.alarms.device_events\n"
        "import ketamine_clinic.alarms.limits\n"
        "bad = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(  # noqa: S603 - fixed arguments, our own interpreter
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
