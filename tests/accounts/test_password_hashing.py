from __future__ import annotations

from django.test import override_settings

from ketamine_clinic.accounts.services.users import user_create
from ketamine_clinic.config.django.test import PRODUCTION_PASSWORD_HASHERS
from ketamine_clinic.config.settings.auth import PASSWORD_HASHERS


def test_production_hashes_new_passwords_with_argon2_first() -> None:
    assert PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert PRODUCTION_PASSWORD_HASHERS == PASSWORD_HASHERS


def test_an_account_created_under_production_hashers_stores_an_argon2_hash(db: None) -> None:
    with override_settings(PASSWORD_HASHERS=PRODUCTION_PASSWORD_HASHERS):
        user = user_create(
            username="argon", password="a-long-enough-passphrase-7", roles=[], by=None
        )
        assert user.password.startswith("argon2$argon2id$")
        assert user.check_password("a-long-enough-passphrase-7")
        assert not user.check_password("a-long-enough-passphrase-8")
