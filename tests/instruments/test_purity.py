"""The instruments package must stay free of Django and the rest of the clinic (DESIGN.md)."""

from __future__ import annotations

import subprocess
import sys


def test_the_instruments_package_imports_and_scores_without_django_or_clinic_apps() -> None:
    code = (
        "import sys\n"
        "import ketamine_clinic.instruments.definitions\n"
        "import ketamine_clinic.instruments.outcomes\n"
        "from ketamine_clinic.instruments.scoring import score\n"
        "score('phq9', [0] * 9)\n"
        "bad = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')\n"
        "             or (m.startswith('ketamine_clinic.') and m.split('.')[1] != 'instruments'))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(  # noqa: S603 - fixed arguments, our own interpreter
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
