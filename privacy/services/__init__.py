"""Writes of the personal-data lifecycle: key rotation (rotation.py) and erasure (erasure.py)."""
