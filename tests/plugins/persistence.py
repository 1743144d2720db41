"""Fixtures shared by the persistence tests (see docs/persistence.md)."""
