"""Xero's webhook delivery, for the sandbox: changes to contacts, invoices and credit notes
become signed event batches POSTed to a receiver, the way Xero sends them.

Like Xero: the subscription is first checked with the intent-to-receive probe (a correctly
signed empty batch must get 200, a badly signed one 401); each batch carries sequence
numbers and entropy and is signed with base64(HMAC-SHA256(key, body)); a batch that does
not get 200 within 5 seconds is sent again, unchanged, with growing gaps, and after the
retry window (24 hours at time_scale 1) the webhook is disabled.

    sender = WebhookSender(sb, "http://127.0.0.1:8701/webhooks/xero", key, api_url=srv.api_url)
    with sender:           # probe, then deliver in a background thread
        tenant.update("Invoices", invoice_id, {"Reference": "R-1"})
        sender.wait_idle(timeout=10)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import string
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC

import httpx

logger = logging.getLogger(__name__)

# collection -> (eventCategory, API path)
EVENT_COLLECTIONS = {
    "Contacts": ("CONTACT", "Contacts"),
    "Invoices": ("INVOICE", "Invoices"),
    "CreditNotes": ("CREDITNOTE", "CreditNotes"),
}
DEFAULT_API_URL = "https://api.xero.com"
RESPONSE_TIMEOUT_SECONDS = 5.0


class WebhookDeliveryError(Exception):
    """The receiver failed the intent-to-receive probe."""


@dataclass(frozen=True)
class RetryPolicy:
    """Gaps between attempts at one batch: first_delay doubling up to max_delay, for up to
    give_up_after seconds, all divided by time_scale."""

    first_delay: float = 5.0
    max_delay: float = 3600.0
    give_up_after: float = 24 * 3600.0
    time_scale: float = 1.0

    def delay(self, attempt: int) -> float:
        return min(self.first_delay * 2 ** (attempt - 1), self.max_delay) / self.time_scale

    @property
    def window(self) -> float:
        return self.give_up_after / self.time_scale


@dataclass
class SenderStats:
    events_queued: int = 0
    events_delivered: int = 0
    batches_delivered: int = 0
    attempts: int = 0
    failed_attempts: int = 0
    events_dropped: int = 0


def sign(key: str, body: bytes) -> str:
    # Xero's side of the signature, kept apart from the receiver's check on purpose: the
    # sandbox is a stand-in for Xero, and the tests check one against the other.
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()


def _entropy() -> str:
    return "".join(secrets.choice(string.ascii_uppercase) for _ in range(20))


def _event_date(moment) -> str:
    """Xero's eventDateUtc form: 2025-12-02T00:44:09.923 (UTC, milliseconds, no offset)."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds")


class WebhookSender:
    """Delivers the sandbox's change events to one webhook URL from a background thread."""

    def __init__(
        self,
        sandbox,
        url: str,
        key: str,
        *,
        api_url: str | None = None,
        max_batch: int = 100,
        batch_wait: float = 0.05,
        retry: RetryPolicy | None = None,
        timeout: float = RESPONSE_TIMEOUT_SECONDS,
    ):
        self.sandbox = sandbox
        self.url = url
        self.key = key
        self.api_url = (api_url or DEFAULT_API_URL).rstrip("/")
        self.max_batch = max_batch
        self.batch_wait = batch_wait
        self.retry = retry or RetryPolicy()
        self.stats = SenderStats()
        self.disabled = False
        self._http = httpx.Client(timeout=timeout)
        self._queue: deque[dict] = deque()
        self._in_flight = 0
        self._sequence = 0
        self._changed = threading.Condition()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def start(self, probe: bool = True) -> WebhookSender:
        """Run the intent-to-receive probe (raises WebhookDeliveryError if the receiver
        fails it), then listen to the sandbox and deliver in the background."""
        if probe and not self.intent_to_receive():
            self._http.close()
            raise WebhookDeliveryError(f"{self.url} failed Xero's intent-to-receive check")
        self.sandbox.add_change_listener(self._on_change)
        self._thread = threading.Thread(target=self._run, name="webhook-sender", daemon=True)
        self._thread.start()
        return self

    def stop(self, drain: bool = True, timeout: float = 30.0) -> None:
        """Stop listening; with drain, first deliver what is queued (within timeout)."""
        self.sandbox.remove_change_listener(self._on_change)
        if drain:
            self.wait_idle(timeout)
        self._stopping.set()
        with self._changed:
            self._changed.notify_all()
        if self._thread:
            self._thread.join(timeout=timeout)
        self._http.close()

    def __enter__(self) -> WebhookSender:
        return self if self._thread else self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until every queued event was delivered or dropped; False on timeout."""
        with self._changed:
            return self._changed.wait_for(
                lambda: not self._queue and not self._in_flight, timeout=timeout
            )

    # -- the probe -------------------------------------------------------------------------
    def intent_to_receive(self) -> bool:
        """Xero's check: a correctly signed empty batch must get 200, a badly signed one 401."""
        body = json.dumps(
            {"events": [], "firstEventSequence": 0, "lastEventSequence": 0, "entropy": _entropy()}
        ).encode()
        good = self._post(body, sign(self.key, body))
        bad = self._post(body, sign(self.key + _entropy(), body))
        ok = good == 200 and bad == 401
        if not ok:
            logger.warning(
                "intent to receive failed at %s: signed -> %s, badly signed -> %s",
                self.url,
                good,
                bad,
            )
        return ok

    # -- events ----------------------------------------------------------------------------
    def _on_change(self, tenant_id: str, collection: str, record_id: str, event_type: str):
        if collection not in EVENT_COLLECTIONS or self.disabled:
            return
        category, path = EVENT_COLLECTIONS[collection]
        event = {
            "resourceUrl": f"{self.api_url}/api.xro/2.0/{path}/{record_id}",
            "resourceId": record_id,
            "tenantId": tenant_id,
            "tenantType": "ORGANISATION",
            "eventCategory": category,
            "eventType": event_type,
            "eventDateUtc": _event_date(self.sandbox.clock.now()),
        }
        if category == "CREDITNOTE":
            tenant = self.sandbox.tenant(tenant_id)
            record = tenant.collection(collection).get(record_id) if tenant else None
            if record:
                event["data"] = {"Type": record.get("Type"), "Status": record.get("Status")}
        with self._changed:
            self._queue.append(event)
            self.stats.events_queued += 1
            self._changed.notify_all()

    def _next_batch(self) -> list[dict]:
        with self._changed:
            self._changed.wait_for(lambda: self._queue or self._stopping.is_set())
            if not self._queue:
                return []
        # let a burst gather into one batch, as Xero does
        self._stopping.wait(self.batch_wait)
        with self._changed:
            count = min(self.max_batch, len(self._queue))
            batch = [self._queue.popleft() for _ in range(count)]
            self._in_flight = count
            return batch

    def _run(self) -> None:
        while not self._stopping.is_set():
            batch = self._next_batch()
            if batch:
                self._deliver(batch)
            with self._changed:
                self._in_flight = 0
                self._changed.notify_all()

    def _deliver(self, batch: list[dict]) -> None:
        first = self._sequence + 1
        self._sequence += len(batch)
        body = json.dumps(
            {
                "events": batch,
                "firstEventSequence": first,
                "lastEventSequence": self._sequence,
                "entropy": _entropy(),
            }
        ).encode()
        signature = sign(self.key, body)
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            status = self._post(body, signature)
            self.stats.attempts += 1
            if status == 200:
                self.stats.events_delivered += len(batch)
                self.stats.batches_delivered += 1
                return
            self.stats.failed_attempts += 1
            delay = self.retry.delay(attempt)
            if time.monotonic() + delay - started > self.retry.window or self._stopping.is_set():
                self._disable(batch)
                return
            logger.info("webhook delivery got %s; retrying in %.3fs", status, delay)
            self._stopping.wait(delay)

    def _disable(self, batch: list[dict]) -> None:
        with self._changed:
            dropped = len(batch) + len(self._queue)
            self._queue.clear()
            self.disabled = True
        self.stats.events_dropped += dropped
        logger.error(
            "webhook to %s disabled after failed retries; %d events dropped", self.url, dropped
        )

    def _post(self, body: bytes, signature: str) -> int | None:
        try:
            response = self._http.post(
                self.url,
                content=body,
                headers={"content-type": "application/json", "x-xero-signature": signature},
            )
        except httpx.HTTPError as exc:
            logger.debug("webhook delivery to %s failed: %s", self.url, exc)
            return None
        return response.status_code


def start_sender(sandbox, api_url: str, url: str | None, key: str | None) -> WebhookSender | None:
    """For `sandbox serve`: a started sender when both the receiver's URL and the webhook key
    are given, else None."""
    if not (url and key):
        return None
    return WebhookSender(sandbox, url, key, api_url=api_url).start()
