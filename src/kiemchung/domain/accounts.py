"""Roles, what each may do, and the actor (a signed-in person or a machine token) behind every action.

The role table is the one place authorisation is decided; services ask `actor.require(...)`, the web
layer maps a refusal to 401/403, and a table-driven test walks every route with every role.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiemchung.errors import AuthenticationError, PermissionDenied

READ = "read"  # the workbench: queue, cases, posts, alerts, sources, status
MATCH = "match"  # ask the matcher (stores suggestions for review)
PUSH = "push"  # push posts into the monitor
TRIAGE = "triage"  # confirm/reject matches, assign, comment, evidence, draft verdicts
PUBLISH = "publish"  # second sign-off, publish, correct, dismiss
MANAGE_SOURCES = "manage_sources"
ADMIN = "admin"  # users, invites, tokens, audit log, subscriptions
REPORT = "report"  # period reports of one's own organisation
IMPORT_ARCHIVE = "import_archive"  # import fact-check archive files (JSON Lines, CSV, ClaimReview) from the web

ROLES: dict[str, frozenset[str]] = {
    "viewer": frozenset({READ}),
    "factchecker": frozenset({READ, MATCH, TRIAGE}),
    "editor": frozenset({READ, MATCH, TRIAGE, PUBLISH, MANAGE_SOURCES, REPORT, IMPORT_ARCHIVE}),
    "admin": frozenset({READ, MATCH, PUSH, TRIAGE, PUBLISH, MANAGE_SOURCES, ADMIN, REPORT, IMPORT_ARCHIVE}),
    "partner": frozenset({PUSH, MATCH}),  # machine tokens of partner organisations
}
USER_ROLES = ("admin", "editor", "factchecker", "viewer")
LEAST_PRIVILEGED_ROLE = min(USER_ROLES, key=lambda role: len(ROLES[role]))  # what an invitation offers first
ROLE_NAMES = {
    "admin": ("Quản trị", "Admin"),
    "editor": ("Biên tập", "Editor"),
    "factchecker": ("Kiểm chứng viên", "Fact-checker"),
    "viewer": ("Người xem", "Viewer"),
    "partner": ("Đối tác (máy)", "Partner (machine)"),
}


def roles_beyond(capabilities: frozenset[str]) -> list[str]:
    """The roles that grant something outside `capabilities`: what a person who keeps only these may not hand out."""
    return [role for role, granted in ROLES.items() if not granted <= capabilities]


@dataclass(frozen=True)
class Actor:
    """Who is acting: a user (user_id) or an API token (token_id), for one organisation, with one role."""

    role: str
    organisation_id: int
    user_id: int | None = None
    token_id: int | None = None
    name: str = ""

    def can(self, capability: str) -> bool:
        return capability in ROLES.get(self.role, frozenset())

    def require(self, capability: str) -> None:
        if not self.can(capability):
            raise PermissionDenied(f"the {self.role} role may not do this ({capability})")


def require(actor: Actor | None, capability: str) -> Actor:
    """The actor, if it may do `capability`; AuthenticationError when nobody is signed in."""
    if actor is None:
        raise AuthenticationError("sign in or send an API token")
    actor.require(capability)
    return actor
