"""The service layer: command handlers, the unit of work, the command bus and the event mapper."""
