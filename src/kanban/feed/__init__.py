"""The ordered feed of stored events, wherever it is read from: the log, HTTP, Redis."""
