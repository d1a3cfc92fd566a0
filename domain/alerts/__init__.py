"""Price alerts: conditions, their evaluation on each trade, and the indicators they use."""
