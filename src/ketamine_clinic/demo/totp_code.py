"""Print the current TOTP code for a key, as an authenticator app would show it.

For trying the demo without a phone: the enrolment page shows the key, and
`python -m ketamine_clinic.demo.totp_code "ABCD EFGH ..."` prints the code to type.
It knows nothing an authenticator app would not (the key is the secret), so it grants
nothing by itself.
"""

from __future__ import annotations

import base64
import binascii
import sys
from collections.abc import Sequence

from django_otp.oath import totp

# The parameters django-otp's TOTPDevice uses by default (RFC 6238: 30 s steps, 6 digits).
STEP_S = 30
DIGITS = 6


def code_for_key(key_base32: str) -> str:
    """The current code for a base32 key (spaces and case ignored)."""
    cleaned = "".join(key_base32.split()).upper()
    padded = cleaned + "=" * (-len(cleaned) % 8)
    try:
        key = base64.b32decode(padded)
    except binascii.Error as exc:
        raise ValueError("the key is not base32 (letters A-Z and digits 2-7)") from exc
    return f"{totp(key, step=STEP_S, digits=DIGITS):0{DIGITS}d}"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        print("usage: python -m ketamine_clinic.demo.totp_code KEY", file=sys.stderr)
        return 2
    try:
        print(code_for_key(" ".join(args)))
    except ValueError as exc:
        print(f"totp_code: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
