"""Where the package and the clinic's data live."""

from __future__ import annotations

from pathlib import Path

from ketamine_clinic.config.env import env_str

PACKAGE_DIR = Path(__file__).resolve().parents[2]
# Where the SQLite database, generated demo secrets and uploads live. Relative paths
# resolve against the working directory, so `make demo` keeps everything in ./var.
DATA_DIR = Path(env_str("KC_DATA_DIR", "var")).resolve()
