"""Technical analysis: indicators, candlestick and chart patterns."""
