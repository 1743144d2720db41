"""Settings of the review queue, the audit trail pages and labelled exports."""
