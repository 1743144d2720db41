"""Fixtures shared by the lifecycle tests (see docs/lifecycle.md)."""
