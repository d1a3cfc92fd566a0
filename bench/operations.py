"""Named GraphQL operations for the load generator (bench.load)."""

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

DEFAULT_SYMBOL = "OGDC"

QUOTES50_SYMBOLS: tuple[str, ...] = (
    "OGDC", "PPL", "MARI", "POL", "PSO", "APL", "SNGP", "SSGC", "ATRL", "NRL",
    "PRL", "CNERGY", "HBL", "UBL", "MCB", "MEBL", "BAFL", "BAHL", "NBP", "ABL",
    "AKBL", "HMB", "FABL", "BOP", "BIPL", "FFC", "EFERT", "FATIMA", "LUCK", "DGKC",
    "MLCF", "FCCL", "CHCC", "KOHC", "PIOC", "HUBC", "KAPCO", "KEL", "SYS", "TRG",
    "PTC", "AIRLINK", "ENGROH", "INDU", "HCAR", "PSMC", "MTL", "THALL", "NESTLE", "SEARL",
)  # fmt: skip

QUOTE1_QUERY = (
    "query Quote1($s: String!) { quote(symbol: $s) { symbol last open high low prevClose change "
    "changePercent volume turnover vwap upperLimit lowerLimit high52w low52w marketCap updatedAt "
    "} }"
)

QUOTES50_QUERY = (
    "query Quotes50($symbols: [String!]!) { quotes(symbols: $symbols) { symbol last change "
    "changePercent volume turnover vwap high low open prevClose bid ask bidSize askSize "
    "upperLimit lowerLimit high52w low52w marketCap updatedAt instrument { symbol name "
    "sharesOutstanding freeFloatPct sector { code name } } } }"
)

CHART_H1_QUERY = (
    "query ChartH1($s: String!, $from: DateTime!, $to: DateTime!) { chart(symbol: $s, "
    "interval: H1, from: $from, to: $to, limit: 5000) { symbol interval candles { ts open high "
    "low close volume } } }"
)

CHART_D1_QUERY = (
    "query ChartD1($s: String!, $from: DateTime!, $to: DateTime!) { chart(symbol: $s, "
    "interval: D1, from: $from, to: $to, limit: 5000) { symbol interval candles { ts open high "
    "low close volume } } }"
)

TECHNICAL_QUERY = (
    "query Technical($s: String!, $from: DateTime!, $to: DateTime!) { technical(symbol: $s, "
    "interval: D1, from: $from, to: $to, limit: 5000, indicators: [{kind: RSI}, {kind: MACD}, "
    "{kind: BBANDS}]) { series { label output values } } }"
)

SCREEN_QUERY = (
    "query Screen($f: ScreenFilterInput!) { screen(filter: $f, first: 50) { totalCount "
    "nodes { symbol marketCap pe roe rsi14 perf3m } } }"
)
SCREEN_FILTER = {
    "conditions": [
        {"field": "MARKET_CAP", "operator": "GT", "value": 1e10},
        {"field": "PE", "operator": "BETWEEN", "min": 2, "max": 15},
        {"field": "RSI14", "operator": "LT", "value": 70},
        {"field": "PRICE_VS_SMA200", "operator": "GT", "value": -20},
        {"field": "INDEX", "operator": "IN", "values": ["KSE100"]},
    ]
}

INDICES_QUERY = "{ indices { code level change changePercent } }"

SECTORS_QUERY = (
    "{ sectors { code name changePercent advancers decliners unchanged volume turnover "
    "marketCap } }"
)

_OPERATION_NAME = re.compile(r"\s*(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)")


@dataclass(frozen=True, slots=True)
class Operation:
    """A named GraphQL document plus the variables it is sent with."""

    name: str
    query: str
    variables: Mapping[str, object]

    @property
    def operation_name(self) -> str | None:
        """The document's operation name, or None for an anonymous query."""
        match = _OPERATION_NAME.match(self.query)
        return match.group(1) if match else None

    def body(self) -> bytes:
        """The JSON request body; encoded once so the hot loop only sends bytes."""
        payload = {
            "query": self.query,
            "variables": dict(self.variables),
            "operationName": self.operation_name,
        }
        return json.dumps(payload, separators=(",", ":")).encode()


def _iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def build_operations(
    symbol: str = DEFAULT_SYMBOL, now: datetime | None = None
) -> dict[str, Operation]:
    """Build the operation table; `symbol` applies to quote1 and the chart operations."""
    # The chart window is fixed once per process so every request asks for the same range.
    to = now if now is not None else datetime.now(UTC)
    ops = (
        Operation("quote1", QUOTE1_QUERY, {"s": symbol}),
        Operation("quotes50", QUOTES50_QUERY, {"symbols": list(QUOTES50_SYMBOLS)}),
        Operation(
            "chart1yH1",
            CHART_H1_QUERY,
            {"s": symbol, "from": _iso_utc(to - timedelta(days=365)), "to": _iso_utc(to)},
        ),
        Operation(
            "chart5yD1",
            CHART_D1_QUERY,
            {"s": symbol, "from": _iso_utc(to - timedelta(days=5 * 365)), "to": _iso_utc(to)},
        ),
        Operation(
            "technical10y",
            TECHNICAL_QUERY,
            {"s": symbol, "from": _iso_utc(to - timedelta(days=10 * 365)), "to": _iso_utc(to)},
        ),
        Operation("screen5", SCREEN_QUERY, {"f": SCREEN_FILTER}),
        Operation("indices", INDICES_QUERY, {}),
        Operation("sectors", SECTORS_QUERY, {}),
    )
    return {op.name: op for op in ops}


OPERATIONS: dict[str, Operation] = build_operations()
