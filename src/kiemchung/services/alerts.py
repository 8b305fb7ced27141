"""Alert delivery: in-app (the alerts page), webhook (JSON, HMAC-signed) and e-mail (SMTP).

Rate-limited per channel: at most one message per ALERT_DIGEST_SECONDS. The first alert after a quiet
period goes out at once; alerts that arrive meanwhile wait and leave together as one digest.

Any number of workers may deliver: a channel is served by one worker at a time, under a lease in the database
(store/leases.py), taken before its undelivered alerts are read and given back once they are marked delivered;
so two workers never send the same alert, and the digest interval holds across workers.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import httpx

from kiemchung.domain.chat_messages import alert_text, burst_lines, chat_text
from kiemchung.services.workers import worker_name
from kiemchung.settings import Settings
from kiemchung.store.alerts import Alert, AlertStore
from kiemchung.store.leases import LeaseStore

DIGEST_LIMIT = 200
SIGNATURE_HEADER = "X-Kiemchung-Signature"
TIMESTAMP_HEADER = "X-Kiemchung-Timestamp"


class DeliveryError(Exception):
    pass


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """sha256=HEX of HMAC-SHA256(secret, "<timestamp>.<body>") — receivers recompute and compare."""
    digest = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


@dataclass
class Channel:
    name: str
    send: Callable[[Sequence[Alert]], None]
    close: Callable[[], None] = lambda: None


def webhook_payload(alerts: Sequence[Alert], settings: Settings) -> dict[str, Any]:
    """The structured alerts, each with its `text`, and the digest's `text` a chat app shows (Slack,
    Mattermost and Google Chat incoming webhooks read it), in the installation's language."""
    language = settings.default_language
    items = [a.as_json(settings.base_url) for a in alerts]
    for item in items:
        item["text"] = alert_text(item, language)
    return {"text": chat_text(items, language, f"{settings.base_url}/alerts"),
            "sent_at": datetime.now(UTC).isoformat(), "alerts": items}  # fmt: skip


def webhook_channel(settings: Settings, client: httpx.Client | None = None) -> Channel:
    http = client or httpx.Client(timeout=settings.fetch_timeout)

    def send(alerts: Sequence[Alert]) -> None:
        body = json.dumps(webhook_payload(alerts, settings), ensure_ascii=False).encode("utf-8")
        timestamp = str(int(time.time()))
        headers = {"Content-Type": "application/json", TIMESTAMP_HEADER: timestamp}
        if settings.webhook_secret:
            headers[SIGNATURE_HEADER] = sign(settings.webhook_secret, timestamp, body)
        try:
            response = http.post(settings.webhook_url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"webhook: {type(exc).__name__} {exc}") from None
        if response.status_code >= 300:
            raise DeliveryError(f"webhook answered HTTP {response.status_code}")

    return Channel("webhook", send, http.close)


def email_text(alerts: Sequence[Alert], base_url: str) -> str:
    lines = [f"{len(alerts)} alert(s) from kiemchung", ""]
    for alert in alerts:
        data = alert.as_json(base_url)
        if alert.kind == "repeat":
            lines.append(f"* A post repeats a fact-checked claim (score {alert.score:.2f}): {alert.sentence}")
            fc = data["factcheck"]
            if fc:
                lines.append(f"  Fact-check: {fc['claim']} — {fc['rating']} — {fc['link']}")
        elif alert.kind == "burst" and alert.evidence:
            lines += ["* " + "\n  ".join(burst_lines(data, "en")), ""]
            continue
        else:
            lines.append(f"* A new claim is spreading ({alert.source_count} sources): {alert.sentence}")
        post = data["post"]
        if post:
            lines.append(f"  Post: {post['title'] or post['id']} {post['url'] or ''}".rstrip())
        lines.append(f"  {data['link']}")
        lines.append("")
    return "\n".join(lines)


def email_channel(settings: Settings) -> Channel:
    recipients = [r.strip() for r in settings.alert_email_to.split(",") if r.strip()]

    def send(alerts: Sequence[Alert]) -> None:
        message = EmailMessage()
        message["Subject"] = f"[kiemchung] {len(alerts)} alert(s)"
        message["From"] = settings.alert_email_from
        message["To"] = ", ".join(recipients)
        message.set_content(email_text(alerts, settings.base_url))
        try:
            with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.fetch_timeout) as smtp:
                if settings.smtp_starttls:
                    smtp.starttls()
                if settings.smtp_user:
                    smtp.login(settings.smtp_user, settings.smtp_password)
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"e-mail: {type(exc).__name__} {exc}") from None

    return Channel("email", send)


def configured_channels(settings: Settings) -> list[Channel]:
    channels = []
    if settings.webhook_url:
        channels.append(webhook_channel(settings))
    if settings.smtp_host and settings.alert_email_to:
        channels.append(email_channel(settings))
    return channels


class AlertDispatcher:
    def __init__(
        self, settings: Settings, store: AlertStore, channels: Sequence[Channel] | None = None,
        worker: str | None = None,
    ) -> None:  # fmt: skip
        self.settings = settings
        self.store = store
        self.leases = LeaseStore(store.database)
        self.worker = worker or worker_name()
        self.channels = list(configured_channels(settings) if channels is None else channels)
        self.errors: dict[str, str] = {}
        self.failures: dict[str, int] = {}  # failed deliveries per channel since start, for /metrics

    def close(self) -> None:
        for channel in self.channels:
            channel.close()

    def deliver_due(self, now: datetime | None = None, force: bool = False) -> dict[str, int]:
        """Send what each channel owes, unless it sent within the digest interval. Alerts sent per channel."""
        now = now or datetime.now(UTC)
        sent: dict[str, int] = {}
        for channel in self.channels:
            lease = f"alerts:{channel.name}"
            if not self.leases.claim(lease, self.worker, self._lease_s()):
                continue  # another worker is delivering on this channel
            try:
                count = self._deliver(channel, now, force)
            finally:
                self.leases.release(lease, self.worker)
            if count:
                sent[channel.name] = count
        return sent

    def _lease_s(self) -> float:
        """Long enough for one message to be sent, whatever the wait for the server (a few fetch timeouts); a
        worker killed while delivering holds the channel up this long."""
        return 4 * self.settings.fetch_timeout

    def _deliver(self, channel: Channel, now: datetime, force: bool) -> int:
        last = self.store.last_delivery(channel.name)
        if not force and last and now - last < timedelta(seconds=self.settings.alert_digest_seconds):
            return 0
        alerts = self.store.undelivered(channel.name, DIGEST_LIMIT)
        if not alerts:
            return 0
        try:
            channel.send(alerts)
        except DeliveryError as exc:
            self.errors[channel.name] = str(exc)  # kept undelivered: tried again at the next round
            self.failures[channel.name] = self.failures.get(channel.name, 0) + 1
            return 0
        self.errors.pop(channel.name, None)
        self.store.mark_delivered(channel.name, [a.id for a in alerts])
        return len(alerts)
