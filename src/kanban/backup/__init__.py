"""Replay-based backup and restore: a backup is an export of the immutable log."""
