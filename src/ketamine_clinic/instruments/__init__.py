"""Measurement instruments (PHQ-9, GAD-7, PCL-5, C-SSRS screener, QIDS-SR16, a 0-10
dissociation rating) defined as data, and a pure scoring engine.

Imports nothing from Django or the rest of the clinic (a test checks), so the CLI and
any other program can score without a database. Entry points:
``ketamine_clinic.instruments.scoring.score`` and ``...outcomes``; the definitions are
in ``data/*.toml`` (see ``definitions.py``) and described in ``docs/instruments.md``.
"""
