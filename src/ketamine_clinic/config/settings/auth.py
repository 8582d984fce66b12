"""Staff sign-in policy: hashing, second factor, timeouts, throttling."""

from __future__ import annotations

from ketamine_clinic.config.env import env_int, env_list

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:sign_in"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:sign_in"

# Argon2id first; the others only verify (and upgrade) hashes made elsewhere.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Roles whose holders must pass a TOTP second factor (a clinic may widen or narrow it).
KC_MFA_REQUIRED_ROLES = env_list(
    "KC_MFA_REQUIRED_ROLES", ["prescriber", "custodian", "administrator"]
)
# Sign-out after this long without a request, and after this long whatever happens.
KC_SESSION_IDLE_MINUTES = env_int("KC_SESSION_IDLE_MINUTES", 15, minimum=1)
KC_SESSION_ABSOLUTE_HOURS = env_int("KC_SESSION_ABSOLUTE_HOURS", 12, minimum=1)
# A tablet intake (kiosk) session locks after this long without a touch, until staff unlock.
KC_KIOSK_IDLE_MINUTES = env_int("KC_KIOSK_IDLE_MINUTES", 10, minimum=1)
# After this many failed sign-ins in a row the account is locked for the lockout period.
KC_SIGN_IN_MAX_FAILURES = env_int("KC_SIGN_IN_MAX_FAILURES", 5, minimum=1)
KC_SIGN_IN_LOCKOUT_MINUTES = env_int("KC_SIGN_IN_LOCKOUT_MINUTES", 15, minimum=1)

# The stored session lives as long as the absolute limit: if it lapsed at the idle limit,
# Django would drop it silently before StaffSessionMiddleware could say why and audit it.
# The cookie itself still ends when the browser closes.
SESSION_COOKIE_AGE = KC_SESSION_ABSOLUTE_HOURS * 3600
# Saved when it changes, not on every request: the idle clock it carries is written at
# most every 15 s (accounts.middleware.LAST_SEEN_EVERY_S), so a page view is not a write.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

OTP_TOTP_ISSUER = "Ketamine Clinic"
