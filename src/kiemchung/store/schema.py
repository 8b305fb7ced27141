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
    false,
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
    Column("name", String(200), nullable=False),  # unique within its organisation (store/sources.py)
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
    # What it collects also joins its organisation's evidence library (issue 14; services/collect.py).
    Column("evidence", Boolean, nullable=False, server_default=false()),
    UniqueConstraint("organisation_id", "name", name="uq_sources_organisation_name"),
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
    Index("ix_posts_copy_of", "copy_of"),  # a narrative's timeline folds copies in (store/narrative_timelines.py)
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
    # The worker processing it, until when (store/inbox.py: lease); an expired lease is taken again.
    Column("leased_by", String(100)),
    Column("lease_until", DateTime(timezone=True)),
    Column("attempts", Integer, nullable=False, server_default="0"),
    UniqueConstraint("source_id", "item_key", name="uq_inbox_source_item"),
    Index("ix_inbox_state_id", "state", "id"),
)

# Named, expiring leases one worker holds at a time (store/leases.py): an alert channel's delivery, a host's
# fetching. A released lease may stay closed a while (a host's politeness pause): `holder` NULL, until in future.
worker_leases = Table(
    "worker_leases",
    metadata,
    Column("name", String(300), primary_key=True),
    Column("holder", String(100)),
    Column("lease_until", DateTime(timezone=True), nullable=False),
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
    Column("evidence", JSON),  # a burst alert's evidence (domain/narrative_trends.py: BurstEvidence)
    Column("group_key", String(400)),  # kind, subject and day (domain/alert_groups.py); null before 0013's backfill
    Index("ix_alerts_group_key", "group_key"),
)

# Who acknowledged or handled a group of alerts (domain/alert_groups.py), per organisation: an alert may be
# read by two organisations (its post's and its case's), and each keeps its own state.
alert_group_states = Table(
    "alert_group_states",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("organisation_id", Integer, ForeignKey("organisations.id", ondelete="CASCADE"), nullable=False),
    Column("group_key", String(400), nullable=False),
    Column("state", String(20), nullable=False),  # acknowledged | handled
    Column("changed_by", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("organisation_id", "group_key", name="uq_alert_group_states_organisation_group"),
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

# -- training drills (issue 15): items drawn from the organisation's own archive -------------------------
# A drill and everything in it belong to one organisation; an attempt is one person's training record and is
# shown to that person and to their organisation's editors and admins, never outside the organisation.

drills = Table(
    "drills",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("organisation_id", Integer, ForeignKey("organisations.id"), nullable=False),
    Column("title", String(200), nullable=False),
    Column("language", String(16), nullable=False),
    Column("topics", JSON, nullable=False, default=list),
    Column("size", Integer, nullable=False),
    Column("status", String(12), nullable=False),  # draft (the editor reviews the items) | ready (can be taken)
    Column("created_by", Integer, ForeignKey("users.id")),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("ready_by", Integer, ForeignKey("users.id")),
    Column("ready_at", DateTime(timezone=True)),
)

drill_items = Table(
    "drill_items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("drill_id", Integer, ForeignKey("drills.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("origin", String(20), nullable=False),  # claim | appearance | variant | true_claim | evidence
    Column("variant", String(20)),  # how a variant was made: no_diacritics | social
    Column("is_signal", Boolean, nullable=False),  # false or misleading: the trainee should not say true
    Column("rating_label", String(100), nullable=False),  # the published verdict the answer is scored against
    Column("technique", String(30)),  # the manipulation technique, when the editor names one
    Column("factcheck_id", String(255), ForeignKey("factchecks.id", ondelete="SET NULL")),
    Column("factcheck_url", Text),
    Column("case_id", Integer, ForeignKey("cases.id", ondelete="SET NULL")),
    UniqueConstraint("drill_id", "position", name="uq_drill_items_drill_position"),
)

drill_attempts = Table(
    "drill_attempts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("drill_id", Integer, ForeignKey("drills.id", ondelete="CASCADE"), nullable=False),
    Column("organisation_id", Integer, ForeignKey("organisations.id"), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
)

drill_answers = Table(
    "drill_answers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("attempt_id", Integer, ForeignKey("drill_attempts.id", ondelete="CASCADE"), nullable=False),
    Column("item_id", Integer, ForeignKey("drill_items.id", ondelete="CASCADE"), nullable=False),
    Column("verdict", String(100), nullable=False),
    Column("says_signal", Boolean, nullable=False),  # the verdict says false/misleading
    Column("confidence", Integer, nullable=False),  # 50..100 (%)
    Column("technique", String(30)),
    Column("seconds", Float, nullable=False),
    Column("answered_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("attempt_id", "item_id", name="uq_drill_answers_attempt_item"),
)

# Narratives (issue 12): what is said, grouped; owned by one organisation (None: the first, as for posts of
# unowned sources, so that an install without organisations yet groups its posts too). A post is in at most
# one narrative (unique post_id); a fact-check at most once per organisation. `vector` is the member's unit
# vector (float16 bytes) so that centroids are rebuilt and re-clustering runs without the embedder.
narratives = Table(
    "narratives",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("organisation_id", Integer, ForeignKey("organisations.id")),  # None: the first one (organisations.py)
    Column("label", Text, nullable=False),
    Column("label_locked", Boolean, nullable=False, default=False),
    Column("risk_level", String(20), nullable=False, default="unset"),
    Column("pinned_factcheck_id", String(255), ForeignKey("factchecks.id", ondelete="SET NULL")),
    Column("editor_touched", Boolean, nullable=False, default=False),  # renamed, merged, split or pinned
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("first_seen", DateTime(timezone=True)),
    Column("last_seen", DateTime(timezone=True)),
    Index("ix_narratives_organisation_id", "organisation_id"),
    sqlite_autoincrement=True,  # a merged narrative's number is never given to another one
)

narrative_members = Table(
    "narrative_members",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("narrative_id", Integer, ForeignKey("narratives.id", ondelete="CASCADE"), nullable=False),
    Column("organisation_id", Integer, ForeignKey("organisations.id")),  # None: the first one (organisations.py)
    Column("post_id", String(255), ForeignKey("posts.id", ondelete="CASCADE")),
    Column("factcheck_id", String(255), ForeignKey("factchecks.id", ondelete="CASCADE")),
    Column("sentence", Text, nullable=False),
    Column("published_at", DateTime(timezone=True)),
    Column("assigned_by", String(10), nullable=False, default="auto"),  # auto | editor
    Column("vector", LargeBinary),
    UniqueConstraint("post_id", name="uq_narrative_members_post_id"),
    UniqueConstraint("organisation_id", "factcheck_id", name="uq_narrative_members_organisation_factcheck"),
    Index("ix_narrative_members_narrative_id", "narrative_id"),
)

# Retro-matching (issue 16): a fact-check searched for in the stored posts, in claim-id partitions that
# several workers share (PostgreSQL: a partition is claimed with FOR UPDATE SKIP LOCKED and held until its
# results are written, in the same transaction that marks it done), so a crash resumes from the partitions
# not yet done and never records a post twice (services/retro.py).
retro_jobs = Table(
    "retro_jobs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("factcheck_id", String(255), ForeignKey("factchecks.id", ondelete="CASCADE"), nullable=False),
    Column("organisation_id", Integer, ForeignKey("organisations.id")),  # whose posts are searched
    Column("state", String(12), nullable=False),  # queued | running | done | failed
    Column("trigger", String(12), nullable=False),  # publish | demand
    Column("requested_by", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("partition_size", Integer, nullable=False),
    Column("partitions", Integer, nullable=False, server_default="0"),
    Column("partitions_done", Integer, nullable=False, server_default="0"),
    Column("last_claim_id", Integer),  # the highest claim id of a partition done (claims.id is the key)
    Column("scanned", Integer, nullable=False, server_default="0"),  # claim sentences read
    Column("candidates", Integer, nullable=False, server_default="0"),  # posts the live decision judged
    Column("found", Integer, nullable=False, server_default="0"),  # appearances recorded as matches
    Column("first_seen", DateTime(timezone=True)),  # the earliest found post's published (else fetched) time
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("started_at", DateTime(timezone=True)),
    Column("finished_at", DateTime(timezone=True)),
    Column("error", Text),
    Index("ix_retro_jobs_state_id", "state", "id"),
    Index("ix_retro_jobs_factcheck_id", "factcheck_id"),
)

retro_partitions = Table(
    "retro_partitions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("job_id", Integer, ForeignKey("retro_jobs.id", ondelete="CASCADE"), nullable=False),
    Column("first_claim_id", Integer, nullable=False),  # claims.id from … to …, both included
    Column("last_claim_id", Integer, nullable=False),
    Column("state", String(12), nullable=False),  # pending | done
    Column("finished_at", DateTime(timezone=True)),
    UniqueConstraint("job_id", "first_claim_id", name="uq_retro_partitions_job_first_claim"),
    Index("ix_retro_partitions_job_state", "job_id", "state"),
)

# The evidence library (issue 14): documents an organisation trusts, by its own ids; their passages are not
# stored — each process rebuilds its in-memory index from the text (services/evidence_library.py).
evidence_documents = Table(
    "evidence_documents",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("organisation_id", Integer, ForeignKey("organisations.id", ondelete="CASCADE"), nullable=False),
    Column("external_id", String(200), nullable=False),  # the document's "id" as imported
    Column("text", Text, nullable=False),  # empty for a scanned PDF
    Column("url", Text),
    Column("title", Text),
    Column("publisher", Text),
    Column("published", Date),
    Column("scanned", Boolean, nullable=False, server_default=false()),  # a PDF with no text layer
    Column("text_sha256", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("created_by", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("file_sha256", String(64)),  # an uploaded PDF's archived copy: data_dir/uploads/<sha256>
    UniqueConstraint("organisation_id", "external_id", name="uq_evidence_documents_organisation_external"),
    Index("ix_evidence_documents_organisation_updated", "organisation_id", "updated_at"),
)

# Archive imports started from the web (issue 11, item 12): the uploaded file (kept until its import ends),
# its progress and its per-line report; the organisation of the person who uploaded it sees it, nobody else.
archive_imports = Table(
    "archive_imports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("organisation_id", Integer, ForeignKey("organisations.id", ondelete="CASCADE"), nullable=False),
    Column("requested_by", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("token_id", Integer, ForeignKey("api_tokens.id", ondelete="SET NULL")),
    Column("file_name", String(200), nullable=False),
    Column("format", String(16), nullable=False),  # jsonl | csv | claimreview | html
    Column("size", Integer, nullable=False),
    Column("data", LargeBinary),  # the file, until the import ends
    Column("state", String(12), nullable=False),  # queued | running | done | failed
    Column("lines_total", Integer, nullable=False, server_default="0"),
    Column("lines_read", Integer, nullable=False, server_default="0"),
    Column("imported", Integer, nullable=False, server_default="0"),
    Column("rejected", Integer, nullable=False, server_default="0"),
    Column("notes", Integer, nullable=False, server_default="0"),
    Column("problems", JSON, nullable=False, default=list),  # [{line, reason, kind}], at most MAX_LISTED
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("started_at", DateTime(timezone=True)),
    Column("heartbeat_at", DateTime(timezone=True)),  # a running import older than this was left by a stopped server
    Column("finished_at", DateTime(timezone=True)),
    Column("error", Text),
    Index("ix_archive_imports_organisation", "organisation_id", "id"),
    Index("ix_archive_imports_state", "state"),
)

# PDFs uploaded to an organisation's evidence library, read in the background (issue 14): the file (kept until
# it is read; a stored document keeps its archived copy in data_dir/uploads), pages read, and the outcome.
evidence_imports = Table(
    "evidence_imports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("organisation_id", Integer, ForeignKey("organisations.id", ondelete="CASCADE"), nullable=False),
    Column("requested_by", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("token_id", Integer, ForeignKey("api_tokens.id", ondelete="SET NULL")),
    Column("file_name", String(200), nullable=False),
    Column("size", Integer, nullable=False),
    Column("data", LargeBinary),  # the PDF, until it is read
    Column("state", String(12), nullable=False),  # queued | running | done | failed
    Column("pages_total", Integer, nullable=False, server_default="0"),
    Column("pages_read", Integer, nullable=False, server_default="0"),
    Column("added", Integer, nullable=False, server_default="0"),
    Column("updated", Integer, nullable=False, server_default="0"),
    Column("unchanged", Integer, nullable=False, server_default="0"),
    Column("scanned", Boolean, nullable=False, server_default=false()),  # stored, but no text layer
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("started_at", DateTime(timezone=True)),
    Column("heartbeat_at", DateTime(timezone=True)),  # a running import older than this was left by a stopped server
    Column("finished_at", DateTime(timezone=True)),
    Column("error", Text),  # why nothing was stored (failed)
    Index("ix_evidence_imports_organisation", "organisation_id", "id"),
    Index("ix_evidence_imports_state", "state"),
)
