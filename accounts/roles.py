"""The platform's roles. Each is a Django group; a user may hold several."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    APPLICANT = "applicant"
    AGENT = "agent"
    CLERK = "clerk"
    AUDITOR = "auditor"
    AUDITOR_LEAD = "auditor_lead"
    APPROVER = "approver"
    ANALYST = "analyst"
    ADMIN = "admin"
    MAIL_SUPERVISOR = "mail_supervisor"


ROLE_DESCRIPTIONS: dict[Role, str] = {
    Role.APPLICANT: "applies through the web form, app, chatbot, SMS or phone; sees own applications",
    Role.AGENT: "call-centre agent: keys in phone applications, picks up voice-bot hand-offs",
    Role.CLERK: "mail clerk: keys paper forms with double-key verification",
    Role.AUDITOR: "works the review queue: confirms or overrides decisions",
    Role.AUDITOR_LEAD: "an auditor who also searches the audit trail and gives second approval",
    Role.APPROVER: "approves and activates model versions",
    Role.ANALYST: "exports labelled decisions, reads monitoring",
    Role.ADMIN: "operates the platform",
    Role.MAIL_SUPERVISOR: "opens mail batches, resolves double-keying mismatches, reads clerk quality",
}

# Roles that work on other people's applications.
STAFF_ROLES = frozenset(Role) - {Role.APPLICANT}
