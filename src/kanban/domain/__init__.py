"""The board domain: commands, events and the rules between them.

Standard library only: nothing here knows about storage, HTTP or Redis.
"""
