"""HTTP security: cookies, HSTS, CSP, framing, hosts. Safe unless told otherwise."""

from __future__ import annotations

from ketamine_clinic.config.env import env_bool, env_int, env_list

DEBUG = env_bool("KC_DEBUG", False)
ALLOWED_HOSTS = env_list("KC_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("KC_CSRF_TRUSTED_ORIGINS", [])

# Cookies are Secure unless a plain-HTTP box (the demo on 127.0.0.1) says otherwise;
# check-deploy refuses KC_SECURE_COOKIES=0.
SECURE_COOKIES = env_bool("KC_SECURE_COOKIES", True)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_NAME = "kc_session"
CSRF_COOKIE_NAME = "kc_csrftoken"

SECURE_SSL_REDIRECT = env_bool("KC_SSL_REDIRECT", False)
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto; None (Django's default)
# trusts no header, so a client cannot claim HTTPS for itself.
SECURE_PROXY_SSL_HEADER: tuple[str, str] | None = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("KC_BEHIND_TLS_PROXY", False) else None
)
SECURE_HSTS_SECONDS = env_int("KC_HSTS_SECONDS", 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("KC_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = False
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Strict CSP: no inline script or style anywhere, nothing from another origin (PHI
# pages must not call out, and clinics may be offline).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
