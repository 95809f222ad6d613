"""Team operations: capacity, forecasts, handoffs, priorities, redistribution, cost, privacy."""
