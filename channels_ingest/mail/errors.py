"""Mail entry's one refusal (services, scans and problems raise it; views show its words)."""


class MailRefused(Exception):
    """What was asked cannot be done; the message says why, in words for the person."""
