from __future__ import annotations

import pytest
import time_machine

from ketamine_clinic.demo.totp_code import code_for_key, main


@time_machine.travel(59, tick=False)
def test_it_gives_the_rfc_6238_code_at_59_seconds() -> None:
    # RFC 6238 appendix B, SHA-1 key "12345678901234567890" at T=59 s: 94287082 (8 digits),
    # whose last six digits are the 6-digit code.
    key_base32 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
    assert code_for_key(key_base32) == "287082"
    assert code_for_key("gezd gnbv gy3t qojq gezd gnbv gy3t qojq") == "287082"


def test_a_key_that_is_not_base32_is_refused_in_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["not-base32-!!"]) == 2
    assert capsys.readouterr().err == (
        "totp_code: error: the key is not base32 (letters A-Z and digits 2-7)\n"
    )
