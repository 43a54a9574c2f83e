"""Payer names against customer names: legal forms, case, punctuation and "&" do not count."""

from __future__ import annotations

import pytest

from engine.matching.identify import NameIndex, company_key


@pytest.mark.parametrize(
    ("bank", "ours"),
    [
        ("BETA LOGISTICS BV", "Beta Logistics B.V."),
        ("Acme Gesellschaft mbH", "ACME GmbH"),
        ("ACME G.m.b.H.", "Acme GmbH"),
        ("GLOBEX INC", "Globex Inc."),
        ("Foo and Bar Company", "Foo & Bar Co."),
        ("INITECH LIMITED", "Initech Ltd"),
    ],
)
def test_legal_form_variants_have_one_key(bank: str, ours: str) -> None:
    assert company_key(bank) == company_key(ours)


def test_a_payer_known_only_by_a_name_variant_is_identified() -> None:
    names = NameIndex(lambda: [("C-BETA", "Beta Logistics B.V.", ()), ("C-GAMMA", "Gamma Foods AG", ())])
    found = names.best("BETA LOGISTICS BV")
    assert found.customer_id == "C-BETA" and found.by == "PAYER_NAME"


def test_two_customers_differing_only_in_legal_form_are_a_tie_not_a_guess() -> None:
    names = NameIndex(lambda: [("C-1", "Acme GmbH", ()), ("C-2", "Acme Inc.", ("ACME INCORPORATED",))])
    assert names.best("ACME").customer_id is None
