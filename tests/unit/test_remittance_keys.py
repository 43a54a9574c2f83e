"""remittance_keys (what storing a payment's reference keys uses) is exactly the set of keys of
remittance_tokens (what matching uses), for any remittance: texts past the token limit, RF
creditor references given twice or spaced, separators, look-alike letters and line breaks."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.matching.references import MAX_TOKENS_PER_PAYMENT, remittance_keys, remittance_tokens

_PIECES = st.sampled_from(
    ["INV-", "RF18539007547034", "RF18 5390 0754 7034", "1001", "02", "/", "+", ", ", " ", "\n",
     "O", "l", "S", "2026/0045", "inv", "part 1/2", "#", "&", ".", "ab", "Müller", "RF00"]
)  # fmt: skip
_TEXT = st.lists(_PIECES, max_size=60).map("".join)


@settings(max_examples=400, deadline=None)
@given(structured=st.lists(_TEXT, max_size=4).map(tuple), free_text=_TEXT)
def test_remittance_keys_are_the_keys_of_the_remittance_tokens(
    structured: tuple[str, ...], free_text: str
) -> None:
    assert remittance_keys(structured, free_text) == {t.key for t in remittance_tokens(structured, free_text)}


def test_past_the_token_limit_the_keys_are_those_of_the_tokens_kept() -> None:
    text = " ".join(f"INV-{i:05} {i + 7:05}" for i in range(MAX_TOKENS_PER_PAYMENT))
    tokens = remittance_tokens((), text)
    assert len(tokens) == MAX_TOKENS_PER_PAYMENT
    assert remittance_keys((), text) == {t.key for t in tokens}


def test_a_creditor_reference_contributes_its_payload_once() -> None:
    tokens = remittance_tokens(("RF18539007547034",), "RF18 5390 0754 7034")
    assert [(t.raw, t.how) for t in tokens][:1] == [("539007547034", "CREDITOR_REFERENCE")]
    assert remittance_keys(("RF18539007547034",), "RF18 5390 0754 7034") == {t.key for t in tokens}
