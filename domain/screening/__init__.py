"""The stock screener: its fields, typed filters and the per-instrument snapshot it scans."""
