"""The sync engine (SYNC_PROTOCOL.md): registry, push, pull, conflict rules, cursors.

Independent of Flask and of `backend`: it sees the database through SQLAlchemy Core
and the collections that feature packages register.
"""
