"""Writes of the auditing app, split by responsibility:

- queue: review items from routed decisions, and claims (leases) on them
- reviews: confirm / override, four eyes, the label and its outbox event
- pii: masked answers and audited unmasking
- exports: labelled exports (CSV / Parquet) as jobs or at once
- trail_export: the audit trail search's CSV export
- retraining: the periodic training of a candidate from new labels
"""
