"""The official PSX sector codes (DPS market-watch `SECTOR` column; 0817 is not issued)."""

from __future__ import annotations

from domain.markets.instruments import Sector

OFFICIAL_SECTORS: tuple[Sector, ...] = tuple(
    Sector(code, name)
    for code, name in (
        ("0801", "AUTOMOBILE ASSEMBLER"),
        ("0802", "AUTOMOBILE PARTS & ACCESSORIES"),
        ("0803", "CABLE & ELECTRICAL GOODS"),
        ("0804", "CEMENT"),
        ("0805", "CHEMICAL"),
        ("0806", "CLOSE - END MUTUAL FUND"),
        ("0807", "COMMERCIAL BANKS"),
        ("0808", "ENGINEERING"),
        ("0809", "FERTILIZER"),
        ("0810", "FOOD & PERSONAL CARE PRODUCTS"),
        ("0811", "GLASS & CERAMICS"),
        ("0812", "INSURANCE"),
        ("0813", "INV. BANKS / INV. COS. / SECURITIES COS."),
        ("0814", "JUTE"),
        ("0815", "LEASING COMPANIES"),
        ("0816", "LEATHER & TANNERIES"),
        ("0818", "MISCELLANEOUS"),
        ("0819", "MODARABAS"),
        ("0820", "OIL & GAS EXPLORATION COMPANIES"),
        ("0821", "OIL & GAS MARKETING COMPANIES"),
        ("0822", "PAPER, BOARD & PACKAGING"),
        ("0823", "PHARMACEUTICALS"),
        ("0824", "POWER GENERATION & DISTRIBUTION"),
        ("0825", "REFINERY"),
        ("0826", "SUGAR & ALLIED INDUSTRIES"),
        ("0827", "SYNTHETIC & RAYON"),
        ("0828", "TECHNOLOGY & COMMUNICATION"),
        ("0829", "TEXTILE COMPOSITE"),
        ("0830", "TEXTILE SPINNING"),
        ("0831", "TEXTILE WEAVING"),
        ("0832", "TOBACCO"),
        ("0833", "TRANSPORT"),
        ("0834", "VANASPATI & ALLIED INDUSTRIES"),
        ("0835", "WOOLLEN"),
        ("0836", "REAL ESTATE INVESTMENT TRUST"),
        ("0837", "EXCHANGE TRADED FUNDS"),
        ("0838", "PROPERTY"),
        ("0839", "APPAREL"),
    )
)
