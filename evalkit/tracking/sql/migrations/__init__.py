"""Alembic migrations that create and upgrade the tracking store's schema (run by the store)."""
