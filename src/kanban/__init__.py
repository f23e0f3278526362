"""Kanban: a self-hosted kanban board whose every change is an immutable event."""

__version__ = "0.1.0"
