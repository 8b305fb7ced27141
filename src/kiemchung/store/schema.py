"""Tables. The Alembic migrations in `migrations/versions` create exactly these (a test checks it)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    true,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

organisations = Table(
    "organisations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("organisation_id", Integer, ForeignKey("organisations.id"), nullable=False),
    Column("email", String(320), nullable=False, unique=True),
    Column("display_name", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("password_hash", String(200)),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

sources = Table(
    "sources",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("organisation_id", Integer, ForeignKey("organisations.id")),
    Column("kind", String(20), nullable=False),
    Column("name", String(200), nullable=False, unique=True),
    Column("url", Text),
    Column("config", JSON, nullable=False, default=dict),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # Schedule and health (one line per source in the UI and the CLI).
    Column("enabled", Boolean, nullable=False, server_default=true()),
    Column("interval_s", Integer, nullable=False, server_default="900"),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("next_fetch_at", DateTime(timezone=True)),
    Column("last_fetch_at", DateTime(timezone=True)),
    Column("last_success_at", DateTime(timezone=True)),
    Column("last_error_at", DateTime(timezone=True)),
    Column("last_error", Text),
    Column("failures", Integer, nullable=False, server_default="0"),
    Column("items_total", Integer, nullable=False, server_default="0"),
)

# No author or account column: we index claims, not people.
posts = Table(
    "posts",
    metadata,
    Column("id", String(255), primary_key=True),
    Column("source_id", Integer, ForeignKey("sources.id")),
    Column("text", Text, nullable=False),
    Column("title", Text),
    Column("url", Text),
    Column("language", String(16)),
    Column("published_at", DateTime(timezone=True)),
    Column("fetched_at", DateTime(timezone=True), nullable=False),
    Column("content_hash", String(64), nullable=False, index=True),
    Column("canonical_url", Text),
    Column("copy_of", String(255)),
    Column("copy_similarity", Float),
    Index("ix_posts_canonical_url", "canonical_url"),
    Index("ix_posts_fetched_at", "fetched_at"),
)

# Durable hand-over between the fetchers and the processing stages: an item is written here (once per
# source and key) before anything else happens to it, and marked done in the same transaction that stores
# its post. A crash at any moment therefore neither loses nor doubles an item.
inbox = Table(
    "inbox",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source_id", Integer, ForeignKey("sources.id", ondelete="CASCADE"), nullable=False),
    Column("item_key", String(500), nullable=False),
    Column("payload", JSON),
    Column("state", String(12), nullable=False),
    Column("reason", Text),
    Column("post_id", String(255)),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("processed_at", DateTime(timezone=True)),
    UniqueConstraint("source_id", "item_key", name="uq_inbox_source_item"),
    Index("ix_inbox_state_id", "state", "id"),
)

# Sampled, spin-normalised shingles of a post, for copy detection (see text/fingerprint.py).
post_fingerprints = Table(
    "post_fingerprints",
    metadata,
    Column("post_id", String(255), ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
    Column("hashes", LargeBinary, nullable=False),
)

alerts = Table(
    "alerts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("dedupe_key", String(300), nullable=False, unique=True),
    Column("post_id", String(255), ForeignKey("posts.id", ondelete="CASCADE")),
    Column("factcheck_id", String(255), ForeignKey("factchecks.id", ondelete="SET NULL")),
    Column("sentence", Text, nullable=False),
    Column("score", Float, nullable=False),
    Column("source_count", Integer, nullable=False, server_default="1"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("read_at", DateTime(timezone=True)),
)

alert_deliveries = Table(
    "alert_deliveries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alert_id", Integer, ForeignKey("alerts.id", ondelete="CASCADE"), nullable=False),
    Column("channel", String(20), nullable=False),
    Column("delivered_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("alert_id", "channel", name="uq_alert_deliveries_alert_channel"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("organisation_id", Integer, ForeignKey("organisations.id"), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id")),
    Column("name", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_used_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
)

claims = Table(
    "claims",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("post_id", String(255), ForeignKey("posts.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("checkworthiness", Float),
    UniqueConstraint("post_id", "position", name="uq_claims_post_position"),
)

factchecks = Table(
    "factchecks",
    metadata,
    Column("id", String(255), primary_key=True),
    Column("organisation_id", Integer, ForeignKey("organisations.id")),
    Column("claim", Text, nullable=False),
    Column("search_text", Text, nullable=False),
    Column("rating_label", String(100), nullable=False),
    Column("rating_value", Float),
    Column("rating_best", Float),
    Column("rating_worst", Float),
    Column("url", Text),
    Column("language", String(16)),
    Column("published", Date),
    Column("summary", Text),
    Column("publisher", String(300)),
    Column("publisher_url", Text),
    Column("claim_author", String(300)),
    Column("claim_date", Date),
    Column("appearances", JSON, nullable=False, default=list),
    Column("first_appearance", Text),
    Column("evidence_links", JSON, nullable=False, default=list),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False, server_default="1"),
    Column("subscription_id", Integer),  # imported from another organisation's published feed
    Index("ix_factchecks_updated_at", "updated_at"),
)

matches = Table(
    "matches",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("post_id", String(255), ForeignKey("posts.id", ondelete="CASCADE")),
    Column("claim_id", Integer, ForeignKey("claims.id", ondelete="CASCADE")),
    Column("factcheck_id", String(255), ForeignKey("factchecks.id", ondelete="CASCADE"), nullable=False),
    Column("query_text", Text, nullable=False),
    Column("sentence", Text, nullable=False),
    Column("score", Float, nullable=False),
    Column("features", JSON, nullable=False, default=dict),
    Column("decision", Boolean, nullable=False),
    Column("feedback", String(10)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("reviewed_at", DateTime(timezone=True)),
)

# -- the workbench: accounts, cases, evidence, publishing, audit ------------------------------------------

sessions = Table(
    "sessions",
    metadata,
    Column("id", String(64), primary_key=True),  # SHA-256 of the cookie value; the value itself is not stored
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

invites = Table(
    "invites",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("organisation_id", Integer, ForeignKey("organisations.id"), nullable=False),
    Column("email", String(320), nullable=False),
    Column("role", String(20), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_by", Integer, ForeignKey("users.id")),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),  # its creator was deactivated or lost the role it grants
)

password_resets = Table(  # single-use links an admin issues; only a SHA-256 of the secret is stored
    "password_resets",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_by", Integer, ForeignKey("users.id")),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
)

cases = Table(
    "cases",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("organisation_id", Integer, ForeignKey("organisations.id")),
    Column("claim", Text, nullable=False),
    Column("group_key", String(300), nullable=False, unique=True),  # items of the same claim share a case
    Column("status", String(20), nullable=False),
    Column("priority", Integer, nullable=False, server_default="1"),
    Column("topic", String(100)),
    Column("assignee_id", Integer, ForeignKey("users.id")),
    Column("spread", Integer, nullable=False, server_default="1"),
    Column("first_detected_at", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False, server_default="1"),
    Column("rating_label", String(100)),
    Column("rebuttal", JSON, nullable=False, default=list),
    Column("summary", Text),
    Column("drafted_by", Integer, ForeignKey("users.id")),
    Column("needs_second_review", Boolean, nullable=False, server_default=true()),
    Column("signed_off_by", Integer, ForeignKey("users.id")),
    Column("signed_off_at", DateTime(timezone=True)),
    Column("factcheck_id", String(255), ForeignKey("factchecks.id", ondelete="SET NULL")),
    Column("published_at", DateTime(timezone=True)),
    Index("ix_cases_status_updated", "status", "updated_at"),
)

case_items = Table(
    "case_items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("cases.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(20), nullable=False),  # "match" (a suggested match) or "claim" (a new claim)
    Column("match_id", Integer, ForeignKey("matches.id", ondelete="CASCADE"), unique=True),
    Column("alert_id", Integer, ForeignKey("alerts.id", ondelete="CASCADE"), unique=True),
    Column("post_id", String(255), ForeignKey("posts.id", ondelete="SET NULL")),
    Column("source_id", Integer, ForeignKey("sources.id", ondelete="SET NULL")),
    Column("text", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# A case belongs to its organisation (cases.organisation_id); a share lets one other organisation read it
# and comment on it. Acting on the case (assign, dismiss, evidence, verdict, publish) stays with the owner.
case_shares = Table(
    "case_shares",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("cases.id", ondelete="CASCADE"), nullable=False),
    Column("organisation_id", Integer, ForeignKey("organisations.id"), nullable=False),
    Column("shared_by", Integer, ForeignKey("users.id")),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("case_id", "organisation_id", name="uq_case_shares_case_organisation"),
)

comments = Table(
    "comments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("cases.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

evidence = Table(
    "evidence",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("cases.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(20), nullable=False),  # url | document | quote
    Column("title", Text),
    Column("url", Text),
    Column("snapshot", Text),  # archived text of a URL, or the text of a document
    Column("file_name", String(300)),
    Column("file_sha256", String(64)),
    Column("content_type", String(100)),
    Column("quote", Text),
    Column("quote_source", Text),
    Column("added_by", Integer, ForeignKey("users.id"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

factcheck_versions = Table(
    "factcheck_versions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("factcheck_id", String(255), ForeignKey("factchecks.id", ondelete="CASCADE"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("record", JSON, nullable=False),
    Column("note", Text),
    Column("published_by", Integer, ForeignKey("users.id")),
    Column("published_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("factcheck_id", "version", name="uq_factcheck_versions_factcheck_version"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("organisation_id", Integer, ForeignKey("organisations.id")),  # whose log: the object's owner
    Column("actor_organisation_id", Integer, ForeignKey("organisations.id")),  # the actor's (a sharing partner's)
    Column("user_id", Integer, ForeignKey("users.id")),
    Column("token_id", Integer, ForeignKey("api_tokens.id")),
    Column("action", String(50), nullable=False),
    Column("object_type", String(30), nullable=False),
    Column("object_id", String(255), nullable=False),
    Column("detail", JSON, nullable=False, default=dict),
    Index("ix_audit_log_at", "at"),
)

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("organisation_id", Integer, ForeignKey("organisations.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("url", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_fetch_at", DateTime(timezone=True)),
    Column("last_error", Text),
    Column("imported", Integer, nullable=False, server_default="0"),
    Column("problems", JSON),  # the last refresh's refused objects, cut fields, dropped links, with reasons
    UniqueConstraint("organisation_id", "url", name="uq_subscriptions_organisation_url"),
)
