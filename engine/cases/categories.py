"""The reason category of a deduction, from the payer's adjustment reason code.

X12 codes are data element 426, "Adjustment Reason Code" (ADX02 of the 820), as published for
release 004010 at https://www.stedi.com/edi/x12-004010/element/426 (the same codes stand in
007040 and 008010). camt.053/054 carry the reason in AdjstmntAmtAndRsn/Rsn, a Max4Text with no
ISO 20022 external code list: payers converting from EDI put the X12 code there, so the X12 table
applies to it too; the short words below are what this engine accepts besides (its own
convention, not a standard). Anything else, or nothing, is OTHER.
"""

from __future__ import annotations

import enum


class Category(enum.Enum):
    PRICING = "PRICING"
    DISCOUNT = "DISCOUNT"
    SHORTAGE = "SHORTAGE"
    DAMAGE = "DAMAGE"
    RETURNS = "RETURNS"
    PROMOTION = "PROMOTION"  # promotion / trade spending
    FREIGHT = "FREIGHT"
    TAX = "TAX"
    BILLING_ERROR = "BILLING_ERROR"
    OTHER = "OTHER"


C = Category
# X12 element 426 code -> category, with the code's published meaning.
X12_426: dict[str, Category] = {
    "01": C.PRICING,  # Pricing Error
    "02": C.PRICING,  # Allowance/Charge Error
    "03": C.BILLING_ERROR,  # Extension Error
    "04": C.DAMAGE,  # Item Not Accepted - Damaged
    "05": C.DAMAGE,  # Item Not Accepted - Quality
    "06": C.SHORTAGE,  # Quantity Contested
    "07": C.RETURNS,  # Incorrect Product
    "08": C.RETURNS,  # Substitute Product
    "09": C.BILLING_ERROR,  # Terms of Sale Error
    "10": C.FREIGHT,  # Pallet/Container Charge Error
    "11": C.RETURNS,  # Returns - Damage
    "12": C.RETURNS,  # Returns - Quality
    "13": C.RETURNS,  # Returns - Dating
    "14": C.RETURNS,  # Returns - Promotion
    "15": C.RETURNS,  # Returns - Recall
    "16": C.PROMOTION,  # Non-Invoice Related Allowance/Charge
    "18": C.BILLING_ERROR,  # Not Company Bill
    "19": C.BILLING_ERROR,  # Duplicate Billing
    "21": C.FREIGHT,  # Shipment Method of Payment Incorrect
    "22": C.FREIGHT,  # Weight Error
    "23": C.BILLING_ERROR,  # Special Charge Not Authorized
    "24": C.DISCOUNT,  # Incorrect Discount
    "25": C.DAMAGE,  # Item Not Accepted
    "26": C.BILLING_ERROR,  # Invoice Cancelled
    "28": C.PROMOTION,  # Rebated Shipments
    "29": C.BILLING_ERROR,  # Fee Incorrect
    "30": C.FREIGHT,  # Delivery Charge Incorrect
    "31": C.FREIGHT,  # Pickup Charge Incorrect
    "33": C.PRICING,  # Currency Exchange Incorrect
    "41": C.SHORTAGE,  # Item Not Accepted - Delay
    "42": C.SHORTAGE,  # Item Not Accepted - Loss
    "43": C.DISCOUNT,  # Missing Discount
    "46": C.FREIGHT,  # Transportation Charge Incorrect
    "54": C.FREIGHT,  # Freight Deducted
    "55": C.TAX,  # Tax Deducted
    "56": C.PROMOTION,  # Advertising Allowance Taken
    "57": C.DISCOUNT,  # Volume Discount Taken
    "59": C.SHORTAGE,  # Item not received
    "62": C.BILLING_ERROR,  # Material/Item Description Error
    "71": C.PROMOTION,  # Advertising Allowance
    "72": C.RETURNS,  # Authorized Return
}

# Short words payers put in a camt Rsn (Max4Text) or an 820's free text; this engine's convention.
WORDS: dict[str, Category] = {
    "PRIC": C.PRICING,
    "DISC": C.DISCOUNT,
    "SHRT": C.SHORTAGE,
    "SHOR": C.SHORTAGE,
    "DAMG": C.DAMAGE,
    "DMG": C.DAMAGE,
    "RETN": C.RETURNS,
    "RET": C.RETURNS,
    "PROM": C.PROMOTION,
    "TRAD": C.PROMOTION,
    "FRT": C.FREIGHT,
    "FRGT": C.FREIGHT,
    "TAX": C.TAX,
    "VAT": C.TAX,
    "BILL": C.BILLING_ERROR,
}


def category_of(reason_code: str) -> Category:
    """The category of a payer's reason code (case and surrounding blanks ignored)."""
    code = reason_code.strip().upper()
    return X12_426.get(code) or WORDS.get(code) or Category.OTHER


def reason_of(codes: list[str]) -> str:
    """The one reason code a deduction keeps: the first one that names a category, else the
    first given (an unknown code is still worth showing), else ""."""
    for code in codes:
        if category_of(code) is not Category.OTHER:
            return code.strip()
    return codes[0].strip() if codes else ""
