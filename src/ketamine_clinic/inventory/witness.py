"""A witness confirms at the moment of the act, with their own password (and code).

A name picked from a list proves nothing; re-entering credentials is what makes the
witness's signature theirs. The checks reuse sign-in's, so a wrong password here counts
towards that account's lock like any other guess, and is audited. Call this before the
service's own transaction opens: a refused witness's failure must stay recorded.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.accounts.models import User
from ketamine_clinic.accounts.selectors import confirmed_device
from ketamine_clinic.accounts.services.sign_in import (
    SignInRefused,
    sign_in_check_code,
    sign_in_check_password,
)
from ketamine_clinic.inventory.policies import WITNESS_ROLES

WITNESS_MISSING = "Enter the witness's username and password."
WITNESS_REFUSED = (
    "The witness's username and password were not accepted: the witness should check them "
    "and type them again. After repeated failures their account is locked for a while."
)
WITNESS_CODE_REFUSED = (
    "The witness's code was not accepted: the witness should type the newest 6-digit code "
    "from their authenticator (after repeated failures their account is locked for a while)."
)
WITNESS_CODE_MISSING = "The witness has an authenticator: enter their 6-digit code too."
WITNESS_IS_ACTOR = "The witness must be a different person from the one who acts."
WITNESS_TWICE = "The two witnesses must be two different people."
WITNESS_NOT_LICENSED = (
    "{name} cannot witness this: a witness must be a nurse, prescriber or inventory custodian."
)


@dataclass(frozen=True)
class WitnessCredentials:
    """What the witness typed at the actor's screen."""

    username: str
    password: str
    code: str = ""


def witness_confirm(
    credentials: WitnessCredentials | None,
    *,
    actor: User,
    field: str = "witness",
    not_also: Collection[User] = (),
    allowed_roles: frozenset[Role] = WITNESS_ROLES,
) -> User:
    """The confirmed witness, or a ValidationError on `field` saying what is wrong."""
    if credentials is None or not credentials.username.strip() or not credentials.password:
        raise ValidationError({field: WITNESS_MISSING})
    # Sign-in's own messages speak to the person signing in; the witness's refusal is
    # read by the actor, so it is worded for them (and, like sign-in's, says the same
    # whatever was wrong with the username and password).
    try:
        witness = sign_in_check_password(
            username=credentials.username.strip(), password=credentials.password
        )
    except SignInRefused:
        raise ValidationError({field: WITNESS_REFUSED}) from None
    if confirmed_device(user=witness) is not None:
        if not credentials.code.strip():
            raise ValidationError({field: WITNESS_CODE_MISSING})
        try:
            sign_in_check_code(user=witness, token=credentials.code)
        except SignInRefused:
            raise ValidationError({field: WITNESS_CODE_REFUSED}) from None
    if witness.pk == actor.pk:
        raise ValidationError({field: WITNESS_IS_ACTOR})
    if any(witness.pk == other.pk for other in not_also):
        raise ValidationError({field: WITNESS_TWICE})
    if not (witness.roles & allowed_roles):
        raise ValidationError({field: WITNESS_NOT_LICENSED.format(name=witness.display_name)})
    return witness
