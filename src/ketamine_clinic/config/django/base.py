"""Production settings: every value from the environment, safe when nothing is set.

`ketamine-clinic` and the ASGI app use these. Tests use `test.py`, which only swaps
what makes tests fast and deterministic.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from ketamine_clinic.config.env import env_bool, env_int, env_secret, env_str
from ketamine_clinic.config.settings.auth import (
    AUTH_PASSWORD_VALIDATORS as AUTH_PASSWORD_VALIDATORS,
)
from ketamine_clinic.config.settings.auth import (
    AUTH_USER_MODEL as AUTH_USER_MODEL,
)
from ketamine_clinic.config.settings.auth import (
    KC_KIOSK_IDLE_MINUTES as KC_KIOSK_IDLE_MINUTES,
)
from ketamine_clinic.config.settings.auth import (
    KC_MFA_REQUIRED_ROLES as KC_MFA_REQUIRED_ROLES,
)
from ketamine_clinic.config.settings.auth import (
    KC_SESSION_ABSOLUTE_HOURS as KC_SESSION_ABSOLUTE_HOURS,
)
from ketamine_clinic.config.settings.auth import (
    KC_SESSION_IDLE_MINUTES as KC_SESSION_IDLE_MINUTES,
)
from ketamine_clinic.config.settings.auth import (
    KC_SIGN_IN_LOCKOUT_MINUTES as KC_SIGN_IN_LOCKOUT_MINUTES,
)
from ketamine_clinic.config.settings.auth import (
    KC_SIGN_IN_MAX_FAILURES as KC_SIGN_IN_MAX_FAILURES,
)
from ketamine_clinic.config.settings.auth import (
    LOGIN_REDIRECT_URL as LOGIN_REDIRECT_URL,
)
from ketamine_clinic.config.settings.auth import (
    LOGIN_URL as LOGIN_URL,
)
from ketamine_clinic.config.settings.auth import (
    LOGOUT_REDIRECT_URL as LOGOUT_REDIRECT_URL,
)
from ketamine_clinic.config.settings.auth import (
    OTP_TOTP_ISSUER as OTP_TOTP_ISSUER,
)
from ketamine_clinic.config.settings.auth import (
    PASSWORD_HASHERS as PASSWORD_HASHERS,
)
from ketamine_clinic.config.settings.auth import (
    SESSION_COOKIE_AGE as SESSION_COOKIE_AGE,
)
from ketamine_clinic.config.settings.auth import (
    SESSION_EXPIRE_AT_BROWSER_CLOSE as SESSION_EXPIRE_AT_BROWSER_CLOSE,
)
from ketamine_clinic.config.settings.auth import (
    SESSION_SAVE_EVERY_REQUEST as SESSION_SAVE_EVERY_REQUEST,
)
from ketamine_clinic.config.settings.channels import (
    CHANNEL_LAYERS as CHANNEL_LAYERS,
)
from ketamine_clinic.config.settings.channels import (
    REDIS_URL as REDIS_URL,
)
from ketamine_clinic.config.settings.database import (
    DATABASE_URL as DATABASE_URL,
)
from ketamine_clinic.config.settings.database import (
    DATABASES as DATABASES,
)
from ketamine_clinic.config.settings.email import (
    DEFAULT_FROM_EMAIL as DEFAULT_FROM_EMAIL,
)
from ketamine_clinic.config.settings.email import (
    EMAIL_BACKEND as EMAIL_BACKEND,
)
from ketamine_clinic.config.settings.email import (
    EMAIL_HOST as EMAIL_HOST,
)
from ketamine_clinic.config.settings.email import (
    EMAIL_HOST_PASSWORD as EMAIL_HOST_PASSWORD,
)
from ketamine_clinic.config.settings.email import (
    EMAIL_HOST_USER as EMAIL_HOST_USER,
)
from ketamine_clinic.config.settings.email import (
    EMAIL_PORT as EMAIL_PORT,
)
from ketamine_clinic.config.settings.email import (
    EMAIL_USE_TLS as EMAIL_USE_TLS,
)
from ketamine_clinic.config.settings.email import (
    KC_EMAIL_BACKEND as KC_EMAIL_BACKEND,
)
from ketamine_clinic.config.settings.logging import (
    LOGGING as LOGGING,
)
from ketamine_clinic.config.settings.paths import (
    DATA_DIR as DATA_DIR,
)
from ketamine_clinic.config.settings.paths import (
    PACKAGE_DIR as PACKAGE_DIR,
)
from ketamine_clinic.config.settings.security import (
    ALLOWED_HOSTS as ALLOWED_HOSTS,
)
from ketamine_clinic.config.settings.security import (
    CONTENT_SECURITY_POLICY as CONTENT_SECURITY_POLICY,
)
from ketamine_clinic.config.settings.security import (
    CSRF_COOKIE_HTTPONLY as CSRF_COOKIE_HTTPONLY,
)
from ketamine_clinic.config.settings.security import (
    CSRF_COOKIE_NAME as CSRF_COOKIE_NAME,
)
from ketamine_clinic.config.settings.security import (
    CSRF_COOKIE_SECURE as CSRF_COOKIE_SECURE,
)
from ketamine_clinic.config.settings.security import (
    CSRF_TRUSTED_ORIGINS as CSRF_TRUSTED_ORIGINS,
)
from ketamine_clinic.config.settings.security import (
    DEBUG as DEBUG,
)
from ketamine_clinic.config.settings.security import (
    SECURE_CONTENT_TYPE_NOSNIFF as SECURE_CONTENT_TYPE_NOSNIFF,
)
from ketamine_clinic.config.settings.security import (
    SECURE_COOKIES as SECURE_COOKIES,
)
from ketamine_clinic.config.settings.security import (
    SECURE_CROSS_ORIGIN_OPENER_POLICY as SECURE_CROSS_ORIGIN_OPENER_POLICY,
)
from ketamine_clinic.config.settings.security import (
    SECURE_HSTS_INCLUDE_SUBDOMAINS as SECURE_HSTS_INCLUDE_SUBDOMAINS,
)
from ketamine_clinic.config.settings.security import (
    SECURE_HSTS_PRELOAD as SECURE_HSTS_PRELOAD,
)
from ketamine_clinic.config.settings.security import (
    SECURE_HSTS_SECONDS as SECURE_HSTS_SECONDS,
)
from ketamine_clinic.config.settings.security import (
    SECURE_PROXY_SSL_HEADER as SECURE_PROXY_SSL_HEADER,
)
from ketamine_clinic.config.settings.security import (
    SECURE_REFERRER_POLICY as SECURE_REFERRER_POLICY,
)
from ketamine_clinic.config.settings.security import (
    SECURE_SSL_REDIRECT as SECURE_SSL_REDIRECT,
)
from ketamine_clinic.config.settings.security import (
    SESSION_COOKIE_HTTPONLY as SESSION_COOKIE_HTTPONLY,
)
from ketamine_clinic.config.settings.security import (
    SESSION_COOKIE_NAME as SESSION_COOKIE_NAME,
)
from ketamine_clinic.config.settings.security import (
    SESSION_COOKIE_SAMESITE as SESSION_COOKIE_SAMESITE,
)
from ketamine_clinic.config.settings.security import (
    SESSION_COOKIE_SECURE as SESSION_COOKIE_SECURE,
)
from ketamine_clinic.config.settings.security import (
    X_FRAME_OPTIONS as X_FRAME_OPTIONS,
)

_secret = env_secret("KC_SECRET_KEY")
if not _secret:
    raise ImproperlyConfigured(
        "KC_SECRET_KEY (or KC_SECRET_KEY_FILE) is not set; generate one with "
        "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`"
    )
SECRET_KEY = _secret

# Names above are imported `as` themselves: that re-exports them to test.py's star
# import under mypy --strict.

# Web worker processes `ketamine-clinic serve` starts; check-deploy compares it with the
# database and channel layer.
KC_WEB_WORKERS = env_int("KC_WEB_WORKERS", 1, minimum=1)
KC_CLINIC_NAME = env_str("KC_CLINIC_NAME", "Ketamine Clinic")
# The number patients call with a worry after an infusion or to cancel: printed on the
# discharge sheet and the visit instructions (check-deploy refuses a deployment without it).
KC_CLINIC_PHONE = env_str("KC_CLINIC_PHONE", "")
# The alarm interlock (off unless the clinic switches it on): a high-priority
# desaturation during an infusion pauses the room's pump through PCD-03, recorded as such.
KC_PUMP_INTERLOCK = env_bool("KC_PUMP_INTERLOCK", False)

# Controlled-substance records are kept at least two years (21 CFR 1304.04(a); clinical.md);
# a clinic may keep them longer, never shorter: inventory/checks.py refuses less than 730.
KC_CS_RETENTION_DAYS = env_int("KC_CS_RETENTION_DAYS", 730)
# Lots expiring within this many days are listed as warnings on the inventory pages.
KC_CS_EXPIRY_WARNING_DAYS = env_int("KC_CS_EXPIRY_WARNING_DAYS", 60, minimum=1)
# How often the clinic counts its stock (clinical.md: daily or per shift); a count is due
# this many hours after the last one closed. 24 = end of each day.
KC_CS_COUNT_EVERY_HOURS = env_int("KC_CS_COUNT_EVERY_HOURS", 24, minimum=1)
# The outcome dashboard's figures take about a second to count at a clinic's real scale
# (6,000 patients): when data arrived since the last count, the page shows the last
# figures with their time and recounts in the background. Off, each such page waits.
KC_OUTCOMES_RECOUNT_IN_BACKGROUND = env_bool("KC_OUTCOMES_RECOUNT_IN_BACKGROUND", True)

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "ketamine_clinic.accounts",
    "ketamine_clinic.audit",
    "ketamine_clinic.patients",
    "ketamine_clinic.assessments",
    "ketamine_clinic.screening",
    "ketamine_clinic.intake",
    "ketamine_clinic.consent",
    "ketamine_clinic.review",
    "ketamine_clinic.courses",
    "ketamine_clinic.booking",
    "ketamine_clinic.visits",
    "ketamine_clinic.orders",
    "ketamine_clinic.infusion",
    "ketamine_clinic.recovery",
    "ketamine_clinic.clinicday",
    "ketamine_clinic.monitoring",
    "ketamine_clinic.inventory",
    "ketamine_clinic.outcomes",
    "ketamine_clinic.research",
    "ketamine_clinic.fhir",
    "ketamine_clinic.web",
    "ketamine_clinic.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "ketamine_clinic.audit.middleware.RequestContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "ketamine_clinic.accounts.middleware.SessionTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "ketamine_clinic.access.middleware.AccessPolicyMiddleware",
]

ROOT_URLCONF = "ketamine_clinic.config.urls"
ASGI_APPLICATION = "ketamine_clinic.config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ketamine_clinic.web.context_processors.clinic",
            ],
        },
    },
]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LANGUAGE_CODE = "en-us"
USE_I18N = True
USE_TZ = True
# Stored in UTC; shown in the clinic's zone.
TIME_ZONE = env_str("KC_TIME_ZONE", "America/New_York")

STATIC_URL = "static/"
# Only `collectstatic` needs STATIC_ROOT; WhiteNoise serves from the apps' folders.
STATIC_ROOT = DATA_DIR / "static" if env_str("KC_COLLECT_STATIC", "") else None
# WhiteNoise serves straight from the apps' static folders: no collectstatic step on a
# clinic box, and no CDN.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
