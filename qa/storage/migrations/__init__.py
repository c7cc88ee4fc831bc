"""Alembic migrations of the store, shipped inside the package (no alembic.ini at run time)."""
