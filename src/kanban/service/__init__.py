"""The service layer: command handlers, the unit of work and the command bus."""
