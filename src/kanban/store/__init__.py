"""Event store adapters: the append-only log that is Kanban's source of truth."""
