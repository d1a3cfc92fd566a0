"""A portfolio statement as CSV: titled sections (`# Holdings`, ...) separated by a blank
line, each a header row then its rows and totals (see `domain.portfolios.reports`)."""

from __future__ import annotations

import csv
import io

from domain.portfolios.ledger import ZERO
from domain.portfolios.reports import (
    CGT_NOTE,
    NON_FILER_NOTE,
    Statement,
    money,
    percent,
    tax_year_name,
)


def render_csv(s: Statement) -> bytes:
    """The statement as CSV: titled sections separated by a blank line (UTF-8)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["# Statement", s.portfolio_name])
    w.writerow(["Period", s.start.isoformat(), s.end.isoformat()])
    w.writerow(["Generated", s.generated_at.isoformat(timespec="seconds")])
    w.writerow(["Filer", "yes" if s.filer else "no"])
    w.writerow(["Cost method", s.cost_method])
    v = s.valuation
    w.writerow([])
    w.writerow(["# Holdings"])
    w.writerow(
        [
            "symbol",
            "quantity",
            "average_cost",
            "cost_basis",
            "price",
            "market_value",
            "unrealised_pnl",
        ]
    )
    for p in v.positions:
        w.writerow(
            [
                p.symbol,
                p.quantity,
                money(p.average_cost),
                money(p.cost_basis),
                money(p.price),
                money(p.market_value),
                money(p.unrealised_pnl),
            ]
        )
    w.writerow(
        ["Total", "", "", money(v.cost_basis), "", money(v.holdings_value), money(v.unrealised_pnl)]
    )
    if v.cash is not None:
        w.writerow(["Cash", "", "", "", "", money(v.cash), ""])
    w.writerow(["Total value", "", "", "", "", money(v.total_value), ""])
    w.writerow([])
    w.writerow(["# Transactions"])
    w.writerow(
        ["date", "type", "symbol", "quantity", "price", "amount", "fees", "taxes", "cash_effect"]
    )
    for tx in s.transactions:
        w.writerow(
            [
                tx.trade_date.isoformat(),
                tx.type.value,
                tx.symbol or "",
                tx.quantity or "",
                f"{tx.price}" if tx.price else "",
                money(tx.amount) if tx.amount else "",
                money(tx.fees),
                money(tx.taxes),
                money(tx.cash_effect),
            ]
        )
    w.writerow([])
    w.writerow(["# Realised gains"])
    w.writerow(
        [
            "sold",
            "symbol",
            "quantity",
            "acquired",
            "proceeds",
            "cost",
            "gain",
            "cgt_rate_pct",
            "tax_year",
        ]
    )
    for r in s.realised:
        w.writerow(
            [
                r.sold.isoformat(),
                r.symbol,
                r.quantity,
                r.acquired.isoformat(),
                money(r.proceeds),
                money(r.cost),
                money(r.gain),
                f"{r.rate}",
                tax_year_name(r.tax_year),
            ]
        )
    w.writerow([])
    w.writerow(["# Capital gains tax by tax year"])
    w.writerow(["tax_year", "gains", "losses", "net_gain", "cgt"])
    for c in s.cgt:
        w.writerow(
            [tax_year_name(c.tax_year), money(c.gains), money(c.losses), money(c.net), money(c.tax)]
        )
    w.writerow(
        [
            "Total",
            money(sum((c.gains for c in s.cgt), ZERO)),
            money(sum((c.losses for c in s.cgt), ZERO)),
            money(sum((c.net for c in s.cgt), ZERO)),
            money(sum((c.tax for c in s.cgt), ZERO)),
        ]
    )
    w.writerow(["Note", CGT_NOTE if s.filer else NON_FILER_NOTE])
    w.writerow([])
    w.writerow(["# Dividends"])
    w.writerow(["date", "symbol", "shares", "per_share", "gross", "withholding_tax", "net"])
    for d in s.dividends:
        w.writerow(
            [
                d.day.isoformat(),
                d.symbol,
                d.shares,
                f"{d.per_share}",
                money(d.gross),
                money(d.withheld),
                money(d.net),
            ]
        )
    w.writerow([])
    w.writerow(["# Dividends by tax year"])
    w.writerow(["tax_year", "gross", "withholding_tax", "net"])
    for y in s.dividends_by_year:
        w.writerow([tax_year_name(y.tax_year), money(y.gross), money(y.withheld), money(y.net)])
    w.writerow(
        [
            "Total",
            money(sum((y.gross for y in s.dividends_by_year), ZERO)),
            money(sum((y.withheld for y in s.dividends_by_year), ZERO)),
            money(sum((y.net for y in s.dividends_by_year), ZERO)),
        ]
    )
    w.writerow([])
    w.writerow(["# Performance"])
    perf = s.performance
    if perf is None:
        w.writerow(["No entries in the period."])
    else:
        bench = perf.benchmark
        w.writerow(
            [
                "start",
                "end",
                "start_value",
                "end_value",
                "net_flows",
                "pnl",
                "twr_pct",
                "benchmark",
                "benchmark_return_pct",
            ]
        )
        w.writerow(
            [
                perf.start.isoformat(),
                perf.end.isoformat(),
                money(perf.start_value),
                money(perf.end_value),
                money(perf.net_flows),
                money(perf.pnl),
                percent(perf.twr),
                bench.code if bench else "",
                percent(bench.total_return) if bench else "",
            ]
        )
        w.writerow([])
        w.writerow(["# Equity curve"])
        w.writerow(["day", "value", "cumulative_return_pct", "benchmark_cumulative_return_pct"])
        levels = {b.day: b.cumulative_return for b in bench.series} if bench else {}
        for point in perf.series:
            w.writerow(
                [
                    point.day.isoformat(),
                    money(point.value),
                    percent(point.cumulative_return),
                    percent(levels.get(point.day)),
                ]
            )
    return out.getvalue().encode("utf-8")
