"""Fixtures shared by the review tests (see docs/review.md)."""
