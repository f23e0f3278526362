"""Read models: projections that build query tables from the event log."""
