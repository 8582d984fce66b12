"""Tablet intake: a kiosk session for one patient, their pending forms, lock and unlock."""
