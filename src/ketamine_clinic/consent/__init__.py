"""Consent: versioned consent documents and the patients' signatures of them."""
