"""The devices package must stay free of Django (DESIGN.md: pure cores)."""

from __future__ import annotations

import subprocess
import sys


def test_the_devices_package_imports_without_django() -> None:
    code = (
        "import sys\n"
        "import ketamine_clinic.devices.hl7_codec\n"
        "import ketamine_clinic.devices.mllp\n"
        "import ketamine_clinic.devices.pcd_build\n"
        "import ketamine_clinic.devices.sim.room\n"
        "import ketamine_clinic.devices.sim.monitor\n"
        "import ketamine_clinic.devices.sim.pump\n"
        "bad = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(  # noqa: S603 - fixed arguments, our own interpreter
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
