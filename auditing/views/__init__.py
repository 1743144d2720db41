"""Pages of the review queue, the audit trail search and labelled exports.

Every view asks accounts.access (through `accounts.decorators.allowed`); none decides access
itself.
"""
