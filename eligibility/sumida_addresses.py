"""Sumida ward towns (町名) with their postal codes, for factories, seed data and demo screens.

Plain data, no Django. Postal codes are Japan Post's; `chome` is how many 丁目 the town has.
"""

from __future__ import annotations

from dataclasses import dataclass

PREFECTURE_AND_WARD = "東京都墨田区"
KANJI_NUMERALS = ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十")


@dataclass(frozen=True, slots=True)
class Town:
    postal_code: str
    name: str
    chome: int

    def address(self, chome: int, banchi: int, go: int) -> str:
        """A full address line such as "東京都墨田区押上一丁目1番2号"."""
        if not 1 <= chome <= self.chome:
            raise ValueError(f"{self.name} has 丁目 1 to {self.chome}, not {chome}")
        return f"{PREFECTURE_AND_WARD}{self.name}{KANJI_NUMERALS[chome - 1]}丁目{banchi}番{go}号"


TOWNS: tuple[Town, ...] = (
    Town("130-0001", "吾妻橋", 3),
    Town("130-0002", "業平", 5),
    Town("130-0003", "横川", 5),
    Town("130-0004", "本所", 4),
    Town("130-0005", "東駒形", 4),
    Town("130-0011", "石原", 4),
    Town("130-0012", "太平", 4),
    Town("130-0013", "錦糸", 4),
    Town("130-0014", "亀沢", 4),
    Town("130-0015", "横網", 2),
    Town("130-0021", "緑", 4),
    Town("130-0022", "江東橋", 5),
    Town("130-0023", "立川", 4),
    Town("130-0024", "菊川", 3),
    Town("130-0026", "両国", 4),
    Town("131-0031", "墨田", 5),
    Town("131-0032", "東向島", 6),
    Town("131-0033", "向島", 5),
    Town("131-0034", "堤通", 2),
    Town("131-0041", "八広", 6),
    Town("131-0043", "立花", 6),
    Town("131-0044", "文花", 3),
    Town("131-0045", "押上", 3),
    Town("131-0046", "京島", 3),
)

TOWNS_BY_POSTAL_CODE: dict[str, Town] = {town.postal_code: town for town in TOWNS}
