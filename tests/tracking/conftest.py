"""Tracking tests run against SQLite and against a real, throwaway PostgreSQL server: the
``backend`` and ``postgres_server`` fixtures live in ``tests/conftest.py`` (the OTel and trace
tests outside this folder use them too)."""
