"""Pakistan's public and market holidays, 2019-2027, for the demo calendar.

The fixed national days are exact. Eid ul Fitr, Eid ul Adha, Ashura and Eid Milad-un-Nabi follow
the lunar calendar and the moon sighting, so their dates here are APPROXIMATE (within a day or
two of the notified ones). The real calendar is data in the database (the sessions table),
maintained from PSX notices; this table only shapes the demo.
"""

from __future__ import annotations

from datetime import date, timedelta

# Fixed holidays: (month, day, name, first year observed, last year observed).
_FIXED: tuple[tuple[int, int, str, int, int], ...] = (
    (2, 5, "Kashmir Solidarity Day", 2019, 2027),
    (3, 23, "Pakistan Day", 2019, 2027),
    (5, 1, "Labour Day", 2019, 2027),
    (5, 28, "Youm-e-Takbeer", 2024, 2027),
    (8, 14, "Independence Day", 2019, 2027),
    # Iqbal Day was dropped in 2015 and restored as a public holiday in 2022.
    (11, 9, "Iqbal Day", 2022, 2027),
    (12, 25, "Quaid-e-Azam Day", 2019, 2027),
)

# Lunar holidays: first day of each observance, approximate. Eid holidays run three days,
# Ashura two (9 and 10 Muharram), Eid Milad-un-Nabi one.
_EID_UL_FITR = {
    2019: date(2019, 6, 4),
    2020: date(2020, 5, 25),
    2021: date(2021, 5, 13),
    2022: date(2022, 5, 2),
    2023: date(2023, 4, 21),
    2024: date(2024, 4, 10),
    2025: date(2025, 3, 31),
    2026: date(2026, 3, 20),
    2027: date(2027, 3, 10),
}
_EID_UL_ADHA = {
    2019: date(2019, 8, 12),
    2020: date(2020, 7, 31),
    2021: date(2021, 7, 20),
    2022: date(2022, 7, 10),
    2023: date(2023, 6, 29),
    2024: date(2024, 6, 17),
    2025: date(2025, 6, 7),
    2026: date(2026, 5, 27),
    2027: date(2027, 5, 16),
}
_ASHURA = {
    2019: date(2019, 9, 9),
    2020: date(2020, 8, 28),
    2021: date(2021, 8, 18),
    2022: date(2022, 8, 8),
    2023: date(2023, 7, 27),
    2024: date(2024, 7, 16),
    2025: date(2025, 7, 5),
    2026: date(2026, 6, 24),
    2027: date(2027, 6, 14),
}
_EID_MILAD = {
    2019: date(2019, 11, 10),
    2020: date(2020, 10, 30),
    2021: date(2021, 10, 19),
    2022: date(2022, 10, 9),
    2023: date(2023, 9, 29),
    2024: date(2024, 9, 17),
    2025: date(2025, 9, 6),
    2026: date(2026, 8, 26),
    2027: date(2027, 8, 15),
}

# One-off closures announced by the government.
_ONE_OFF = {
    date(2024, 2, 8): "General election",
}


def _build() -> dict[date, str]:
    table: dict[date, str] = {}

    def add(day: date, name: str) -> None:
        # A lunar holiday can land on a fixed one (Eid on Pakistan Day): keep both names.
        table[day] = f"{table[day]} / {name}" if day in table else name

    for month, dom, name, first, last in _FIXED:
        for year in range(first, last + 1):
            add(date(year, month, dom), name)
    for lunar, days, name in (
        (_EID_UL_FITR, 3, "Eid ul Fitr"),
        (_EID_UL_ADHA, 3, "Eid ul Adha"),
        (_ASHURA, 2, "Ashura"),
        (_EID_MILAD, 1, "Eid Milad-un-Nabi"),
    ):
        for first_day in lunar.values():
            for offset in range(days):
                add(first_day + timedelta(days=offset), name)
    for day, name in _ONE_OFF.items():
        add(day, name)
    return dict(sorted(table.items()))


PK_HOLIDAYS: dict[date, str] = _build()
