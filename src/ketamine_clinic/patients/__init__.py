"""Patients: the registry (intake, screening and consent arrive with later work)."""
