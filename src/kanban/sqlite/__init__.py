"""SQLite as both databases use it: connections, pragmas, WAL and its checkpoints."""
