"""Outgoing email (visit instructions): where it goes and from whom.

SMTP by default, configured from the environment. The demo prints mail to the console
(`KC_EMAIL_BACKEND=console`); `check-deploy` refuses that with patient data, because a
console backend writes patients' emails into the server's log.
"""

from __future__ import annotations

from ketamine_clinic.config.env import env_bool, env_int, env_secret, env_str

_backend_paths = {
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
}
KC_EMAIL_BACKEND = env_str("KC_EMAIL_BACKEND", "smtp")
if KC_EMAIL_BACKEND not in _backend_paths:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"KC_EMAIL_BACKEND: {KC_EMAIL_BACKEND!r} is not smtp or console")
EMAIL_BACKEND = _backend_paths[KC_EMAIL_BACKEND]
EMAIL_HOST = env_str("KC_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("KC_EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("KC_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env_secret("KC_EMAIL_PASSWORD") or ""
EMAIL_USE_TLS = env_bool("KC_EMAIL_TLS", False)
DEFAULT_FROM_EMAIL = env_str("KC_FROM_EMAIL", "clinic@localhost")
