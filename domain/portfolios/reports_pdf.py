"""A portfolio statement as PDF (fpdf2, core fonts): the sections of the CSV as tables, and
the equity curve against the benchmark drawn with the library's vector lines.

Rendering is CPU work: callers run it off the event loop. Core fonts are Latin-1; other
characters (in a portfolio's name) print as "?".
"""

from __future__ import annotations

from collections.abc import Sequence

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from domain.portfolios.ledger import ZERO
from domain.portfolios.performance import Performance
from domain.portfolios.reports import (
    CGT_NOTE,
    NON_FILER_NOTE,
    Statement,
    money,
    percent,
    tax_year_name,
)

_ROW = 5.0
_BLUE = (31, 92, 168)
_GREY = (140, 140, 140)


def _latin(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")


class _Doc(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self._title = _latin(title)
        self.set_auto_page_break(auto=True, margin=15)
        self.set_title(self._title)
        self.set_creator("PSX Analytics")

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", size=7)
        self.set_text_color(*_GREY)
        self.cell(0, 5, f"{self._title} - page {self.page_no()}", align="C")
        self.set_text_color(0, 0, 0)

    def heading(self, text: str) -> None:
        if self.get_y() > self.h - 40:
            self.add_page()
        self.ln(3)
        self.set_font("Helvetica", style="B", size=11)
        self.cell(0, 7, _latin(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def line_text(self, text: str, size: float = 9) -> None:
        self.set_font("Helvetica", size=size)
        self.cell(0, _ROW, _latin(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def grid(
        self, header: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float]
    ) -> None:
        def row(cells: Sequence[str], bold: bool) -> None:
            self.set_font("Helvetica", style="B" if bold else "", size=7.5)
            for i, (text, width) in enumerate(zip(cells, widths, strict=True)):
                align = "L" if i == 0 else "R"
                self.cell(width, _ROW, _latin(text), border="B" if bold else 0, align=align)
            self.ln(_ROW)

        row(header, True)
        for cells in rows:
            if self.get_y() > self.h - 20:
                self.add_page()
                row(header, True)
            row(cells, False)


def _chart(doc: _Doc, perf: Performance) -> None:
    """Cumulative return of the portfolio (blue) and the benchmark (grey), day by day."""
    mine = [(p.day, p.cumulative_return) for p in perf.series]
    bench = perf.benchmark
    theirs = [(b.day, b.cumulative_return) for b in bench.series] if bench else []
    if len(mine) < 2:
        doc.line_text("Too few sessions to draw.")
        return
    if doc.get_y() > doc.h - 90:
        doc.add_page()
    x0, y0, w, h = doc.l_margin + 12, doc.get_y() + 2, doc.epw - 14, 60.0
    values = [r for _, r in mine] + [r for _, r in theirs]
    low, high = min([*values, 0.0]), max([*values, 0.0])
    span = (high - low) or 1.0
    first, last = mine[0][0].toordinal(), mine[-1][0].toordinal()
    days = (last - first) or 1

    def xy(day_ordinal: int, r: float) -> tuple[float, float]:
        return x0 + w * (day_ordinal - first) / days, y0 + h - h * (r - low) / span

    doc.set_draw_color(*_GREY)
    doc.set_line_width(0.2)
    doc.rect(x0, y0, w, h)
    doc.set_font("Helvetica", size=6.5)
    for frac in (0.0, 0.25, 0.5, 0.75, 1.0):
        level = low + span * frac
        _, y = xy(first, level)
        doc.line(x0 - 1, y, x0, y)
        doc.set_xy(doc.l_margin - 2, y - 2)
        doc.cell(13, 4, f"{level * 100:.0f}%", align="R")
    _, zero = xy(first, 0.0)
    doc.set_dash_pattern(dash=1, gap=1)
    doc.line(x0, zero, x0 + w, zero)
    doc.set_dash_pattern()
    for series, colour in ((theirs, _GREY), (mine, _BLUE)):
        points = [xy(d.toordinal(), r) for d, r in series if first <= d.toordinal() <= last]
        if len(points) >= 2:
            doc.set_draw_color(*colour)
            doc.set_line_width(0.5)
            doc.polyline(points)
    doc.set_xy(x0, y0 + h + 1)
    doc.set_font("Helvetica", size=7)
    doc.cell(w / 2, 4, f"{mine[0][0].isoformat()}")
    doc.cell(w / 2, 4, f"{mine[-1][0].isoformat()}", align="R")
    doc.set_xy(doc.l_margin, y0 + h + 6)
    doc.set_text_color(*_BLUE)
    doc.cell(40, 4, "Portfolio (TWR)")
    doc.set_text_color(*_GREY)
    doc.cell(40, 4, f"{bench.code if bench else ''}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    doc.set_text_color(0, 0, 0)
    doc.set_draw_color(0, 0, 0)
    doc.set_line_width(0.2)


def render_pdf(s: Statement) -> bytes:
    """The statement as a PDF document."""
    doc = _Doc(f"Portfolio statement: {s.portfolio_name}")
    doc.add_page()
    doc.set_font("Helvetica", style="B", size=15)
    doc.cell(
        0,
        9,
        _latin(f"Portfolio statement: {s.portfolio_name}"),
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    doc.line_text(f"Period {s.start.isoformat()} to {s.end.isoformat()}")
    doc.line_text(
        f"Generated {s.generated_at.isoformat(timespec='seconds')}; "
        f"{'filer' if s.filer else 'non-filer'}; cost method {s.cost_method}; amounts in PKR"
    )
    v = s.valuation
    doc.heading("Holdings")
    rows = [
        [
            p.symbol,
            f"{p.quantity:,}",
            money(p.average_cost),
            money(p.cost_basis),
            money(p.price),
            money(p.market_value),
            money(p.unrealised_pnl),
        ]
        for p in v.positions
    ]
    rows.append(
        ["Total", "", "", money(v.cost_basis), "", money(v.holdings_value), money(v.unrealised_pnl)]
    )
    if v.cash is not None:
        rows.append(["Cash", "", "", "", "", money(v.cash), ""])
    rows.append(["Total value", "", "", "", "", money(v.total_value), ""])
    doc.grid(
        ["Symbol", "Quantity", "Avg cost", "Cost basis", "Price", "Market value", "Unrealised"],
        rows,
        [24, 22, 22, 30, 22, 32, 28],
    )
    perf = s.performance
    doc.heading("Performance")
    if perf is None:
        doc.line_text("No entries in the period.")
    else:
        bench = perf.benchmark
        doc.line_text(
            f"Value {money(perf.start_value)} on {perf.start.isoformat()} to "
            f"{money(perf.end_value)} on {perf.end.isoformat()}; net flows "
            f"{money(perf.net_flows)}; P&L {money(perf.pnl)}"
        )
        bench_text = f"; {bench.code} {percent(bench.total_return)}%" if bench else ""
        doc.line_text(f"Time-weighted return {percent(perf.twr)}%{bench_text}")
        doc.heading("Equity curve against the benchmark")
        _chart(doc, perf)
    doc.heading("Capital gains tax by tax year")
    cgt_rows = [
        [tax_year_name(c.tax_year), money(c.gains), money(c.losses), money(c.net), money(c.tax)]
        for c in s.cgt
    ]
    cgt_rows.append(
        [
            "Total",
            money(sum((c.gains for c in s.cgt), ZERO)),
            money(sum((c.losses for c in s.cgt), ZERO)),
            money(sum((c.net for c in s.cgt), ZERO)),
            money(sum((c.tax for c in s.cgt), ZERO)),
        ]
    )
    doc.grid(["Tax year", "Gains", "Losses", "Net gain", "CGT"], cgt_rows, [36, 36, 36, 36, 36])
    doc.line_text(CGT_NOTE if s.filer else NON_FILER_NOTE, size=7.5)
    doc.heading("Realised gains")
    doc.grid(
        ["Sold", "Symbol", "Qty", "Acquired", "Proceeds", "Cost", "Gain", "Rate %"],
        [
            [
                r.sold.isoformat(),
                r.symbol,
                f"{r.quantity:,}",
                r.acquired.isoformat(),
                money(r.proceeds),
                money(r.cost),
                money(r.gain),
                f"{r.rate}",
            ]
            for r in s.realised
        ],
        [22, 20, 16, 22, 28, 28, 26, 18],
    )
    doc.heading("Dividends (withholding tax, s.150)")
    doc.grid(
        ["Date", "Symbol", "Shares", "Per share", "Gross", "WHT", "Net"],
        [
            [
                d.day.isoformat(),
                d.symbol,
                f"{d.shares:,}",
                f"{d.per_share}",
                money(d.gross),
                money(d.withheld),
                money(d.net),
            ]
            for d in s.dividends
        ],
        [24, 22, 22, 22, 30, 30, 30],
    )
    doc.grid(
        ["Tax year", "Gross", "WHT", "Net"],
        [
            [tax_year_name(y.tax_year), money(y.gross), money(y.withheld), money(y.net)]
            for y in s.dividends_by_year
        ],
        [36, 36, 36, 36],
    )
    doc.heading("Transactions")
    doc.grid(
        ["Date", "Type", "Symbol", "Qty", "Price", "Amount", "Fees", "Taxes", "Cash"],
        [
            [
                tx.trade_date.isoformat(),
                tx.type.value,
                tx.symbol or "",
                f"{tx.quantity:,}" if tx.quantity else "",
                f"{tx.price}" if tx.price else "",
                money(tx.amount) if tx.amount else "",
                money(tx.fees),
                money(tx.taxes),
                money(tx.cash_effect),
            ]
            for tx in s.transactions
        ],
        [20, 20, 18, 16, 20, 22, 18, 18, 28],
    )
    return bytes(doc.output())
