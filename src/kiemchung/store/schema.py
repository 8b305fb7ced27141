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
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
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
