"""At the close the ingester writes the day's bars and rebuilds the screener snapshot."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from decimal import Decimal

from db.repos.screening import all_snapshots
from domain.markets.sessions import PKT
from domain.screening.fields import ScreenField
from tests.e2e.conftest import LiveServer


async def test_the_screener_snapshot_follows_the_session_that_just_closed(live: LiveServer) -> None:
    engine = live.services.database.primary
    before = {s.symbol: s for s in await all_snapshots(engine)}
    assert before["OGDC"].as_of == date(2026, 11, 19)
    price = (live.last("OGDC") * Decimal("1.03")).quantize(Decimal("0.01"))
    await live.trade("OGDC", str(price), 5_000)
    await live.ingester.tick_clock()  # still open: nothing to do yet
    await asyncio.sleep(0.05)
    still = {s.symbol: s for s in await all_snapshots(engine)}
    assert still["OGDC"].as_of == date(2026, 11, 19)
    live.clock.at = datetime(2026, 11, 20, 16, 31, tzinfo=PKT)  # Friday's second session is over
    await live.ingester.tick_clock()
    for _ in range(200):
        after = {s.symbol: s for s in await all_snapshots(engine)}
        if after["OGDC"].as_of == date(2026, 11, 20):
            break
        await asyncio.sleep(0.05)
    ogdc = after["OGDC"]
    assert ogdc.as_of == date(2026, 11, 20)
    assert ogdc.values[ScreenField.PRICE] == float(price)
    assert ogdc.values[ScreenField.CHANGE_PERCENT] is not None
    assert ogdc.values[ScreenField.CHANGE_PERCENT] > 2.5
    assert len(after) == len(before)
