"""validate.account_key keeps each text's answer (engine/validate.py): a repeated text gets the
same key, or the same refusal naming the field of this call, as its first use."""

from __future__ import annotations

import pytest

from engine import validate as v
from engine.errors import InvalidArgument


@pytest.mark.parametrize(
    ("text", "key", "reason"),
    [
        ("DE89 3704 0044 0532 0130 00", "DE89370400440532013000", None),
        ("de89-3704-0044-0532-0130-00", "DE89370400440532013000", None),
        ("DE89 3704 0044 0532 0130 01", None, "INVALID_IBAN"),
        ("12", None, "INVALID_PAYER_ACCOUNT"),
        ("1" * 200, None, "INVALID_PAYER_ACCOUNT"),  # too long to be kept: answered all the same
    ],
)
def test_a_repeated_text_gets_the_first_answer_with_its_own_field(
    text: str, key: str | None, reason: str | None
) -> None:
    for field in ("payments[0].payer_account", "payments[7].payer_account"):
        if reason is None:
            assert v.account_key(text, field) == key
        else:
            with pytest.raises(InvalidArgument) as refused:
                v.account_key(text, field)
            assert (refused.value.reason, refused.value.violations[0].field) == (reason, field)
