"""GraphQL enums of the analytics that other features use too (alerts name patterns).

strawberry registers an enum the first time a module declares it: declaring these here, in
one module imported by every user, gives the schema one `PatternKind` whatever the import
order of the root.
"""

from __future__ import annotations

import strawberry

from domain.analytics.patterns import PatternDirection, PatternKind

strawberry.enum(
    PatternKind,
    description=(
        "Candlestick patterns (TA-Lib's CDL functions, same rules and settings: DOJI is "
        "CDLDOJI, THREE_WHITE_SOLDIERS is CDL3WHITESOLDIERS, ...) and chart patterns: "
        "SUPPORT/RESISTANCE levels touched repeatedly, TRENDLINE_BREAK, DOUBLE_TOP/BOTTOM and "
        "(INVERSE_)HEAD_AND_SHOULDERS confirmed on the neckline break, GAP_UP/DOWN, "
        "NEW_52_WEEK_HIGH/LOW, and GOLDEN/DEATH_CROSS of SMA50 over SMA200."
    ),
)
strawberry.enum(PatternDirection, description="What the pattern suggests: up, down, or neither.")

__all__ = ["PatternDirection", "PatternKind"]
