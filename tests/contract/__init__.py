"""Contract tests every implementation of an interface must pass."""
