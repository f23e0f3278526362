"""One router of queries per resource; the commands are the rows of api/commands.py."""
