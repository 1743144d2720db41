"""The analytics warehouse: a star schema in Redshift, or in PostgreSQL locally and in tests.

schema.py     the tables, as data; DDL for both dialects
redshift.py   the ONLY Redshift-specific SQL (distribution and sort keys, COPY FROM S3)
connection.py the one connection factory (psycopg for both)
loader.py     micro-batches: stage (CSV), MERGE into the tables
sink.py       the outbox sink: decisions and reviews become fact rows
"""
