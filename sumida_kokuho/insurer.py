"""保険者番号 (insurer number) check digit. Pure functions, no Django.

An insurer number ends in a check digit over the digits before it (modulus 10, weights 2 and 1):
multiply the data digits by 2, 1, 2, 1, … starting from the rightmost, add up the digits of the
products (14 counts as 1 + 4), and the check digit is what brings the sum to a multiple of ten.
Worked example: 33120015 has data digits 3312001 → products 6,3,2,2,0,0,2 → digit sum 15 → 5.
NHI insurers (国民健康保険) have 6 digits (2 prefecture, 3 insurer, 1 check); other insurers have
8 (2 法別番号 in front). Sumida's NHI number 131078 passes: 13107 → 8.
"""

from __future__ import annotations

INSURER_NUMBER_LENGTHS = (6, 8)


def _is_ascii_digits(text: object) -> bool:
    return isinstance(text, str) and text.isascii() and text.isdigit()


def insurer_check_digit(data_digits: str) -> int:
    """The check digit for the data digits of an insurer number (all digits but the last)."""
    if not _is_ascii_digits(data_digits):
        raise ValueError(f"data digits must be ASCII digits, got {data_digits!r}")
    total = 0
    for position, char in enumerate(reversed(data_digits)):
        product = int(char) * (2 if position % 2 == 0 else 1)
        total += product // 10 + product % 10
    return (10 - total % 10) % 10


def is_valid_insurer_number(number: str) -> bool:
    """True for a 6-digit (NHI) or 8-digit insurer number whose last digit checks out."""
    if not _is_ascii_digits(number) or len(number) not in INSURER_NUMBER_LENGTHS:
        return False
    return insurer_check_digit(number[:-1]) == int(number[-1])
