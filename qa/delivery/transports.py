"""Transports: what hands a claimed mail to the outside world. SMTP when PRIVACY_QA_SMTP_HOST is
set, otherwise .eml files in the data folder (encrypted as the store is); the webhooks have
their own (qa/delivery/webhooks.py)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Protocol

from qa.settings import Settings
from qa.storage.cipher import Cipher
from qa.storage.engine import data_folder


@dataclass(frozen=True)
class OutgoingMail:
    """A mail claimed for sending."""

    id: int
    message_id: str
    recipient: str
    raw: bytes
    lease_owner: str


class Failure(str):
    """A delivery's short error (no addresses), with what the receiver asked of the retry:
    none sooner than `after`, or none at all (`final`: the row is refused, not retried)."""

    after: timedelta | None
    final: bool

    def __new__(cls, text: str, *, after: timedelta | None = None, final: bool = False) -> Failure:
        """The error `text`, as a str, with the receiver's wishes."""
        made = super().__new__(cls, text)
        made.after = after
        made.final = final
        return made


class Transport(Protocol):
    """Hands messages to the outside world; raises on failure."""

    def send(self, sender: str, mails: Sequence[OutgoingMail]) -> dict[int, str | None]:
        """Send each mail; map its id to None when sent, or to a short error (no addresses),
        a `Failure` where the receiver said when to try again, or not to. A mail left out was
        not tried (the round ran out of time): it is released as it was."""
        ...

    def discard(self, message_ids: Sequence[str]) -> int:
        """Delete any copy this transport keeps of these mails (for an erasure); how many."""
        ...


class SmtpTransport:
    """Delivery through an SMTP server (smtplib, in the sender's worker thread)."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout: float = 10.0,
    ) -> None:
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.starttls = starttls
        self.timeout = timeout

    def send(self, sender: str, mails: Sequence[OutgoingMail]) -> dict[int, str | None]:
        """One connection for the batch; a mail refused by the server fails alone."""
        results: dict[int, str | None] = {}
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self.password or "")
                for mail in mails:
                    try:
                        smtp.sendmail(sender, [mail.recipient], mail.raw)
                        results[mail.id] = None
                    except smtplib.SMTPResponseException as exc:
                        results[mail.id] = f"SMTP {exc.smtp_code}"
                    except smtplib.SMTPRecipientsRefused:
                        results[mail.id] = "SMTP recipient refused"
        except (OSError, smtplib.SMTPException) as exc:
            # Server unreachable or the session broke: every mail not yet accepted is retried.
            error = _describe(exc)
            for mail in mails:
                results.setdefault(mail.id, error)
        return results

    def discard(self, message_ids: Sequence[str]) -> int:
        """Nothing to delete: what the SMTP server accepted is the receiver's."""
        return 0


def mail_file_names(message_id: str) -> tuple[str, str]:
    """The file a mail is written to, in clear and encrypted: named by its Message-ID, so the
    outbox row (reference → message_id) is the index that finds a request's files."""
    stem = hashlib.sha256(message_id.encode()).hexdigest()[:24]
    return f"{stem}.eml", f"{stem}.eml.fernet"


class FileTransport:
    """The embedded default: each mail is written as an .eml file (named by its Message-ID);
    with a cipher that encrypts, as an .eml.fernet file that `privacy-qa outbox --read` opens."""

    def __init__(self, folder: Path, cipher: Cipher | None = None) -> None:
        self.folder = folder
        self.cipher = cipher or Cipher()

    def send(self, sender: str, mails: Sequence[OutgoingMail]) -> dict[int, str | None]:
        """Write each mail atomically; a mail written twice lands on the same file."""
        self.folder.mkdir(parents=True, exist_ok=True)
        results: dict[int, str | None] = {}
        for mail in mails:
            plain_name, sealed_name = mail_file_names(mail.message_id)
            name = sealed_name if self.cipher.enabled else plain_name
            # The mail holds names, details and links: at rest it is as encrypted as the store.
            content = (
                (self.cipher.seal(mail.raw.decode("utf-8")) or "").encode()
                if self.cipher.enabled
                else mail.raw
            )
            temporary = self.folder / f".{name}.tmp"
            try:
                with open(temporary, "wb") as handle:
                    handle.write(content)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(temporary, self.folder / name)
                results[mail.id] = None
            except OSError as exc:
                results[mail.id] = _describe(exc)
        return results

    def discard(self, message_ids: Sequence[str]) -> int:
        """Delete these mails' files, found by name (nothing is read)."""
        deleted = 0
        for message_id in message_ids:
            for name in mail_file_names(message_id):
                with contextlib.suppress(FileNotFoundError):
                    (self.folder / name).unlink()
                    deleted += 1
        return deleted

    def read(self, path: Path) -> bytes:
        """A mail file's message, decrypted if it was written encrypted."""
        content = path.read_bytes()
        if path.name.endswith(".fernet"):
            return (self.cipher.open(content.decode()) or "").encode("utf-8")
        return content


def _describe(exc: BaseException) -> str:
    # Class names and SMTP code only: server messages may quote addresses, which must not be
    # stored. smtplib reports a timeout and a reset alike as SMTPServerDisconnected; the
    # socket error under it tells a hanging server from a broken connection.
    text = type(exc).__name__
    under = exc.__cause__ or exc.__context__
    if isinstance(exc, smtplib.SMTPException) and isinstance(under, OSError):
        text += f" ({type(under).__name__})"
    code = getattr(exc, "smtp_code", None)
    return text + (f" (SMTP {code})" if code else "")


def transport_for(settings: Settings) -> Transport:
    """SMTP when PRIVACY_QA_SMTP_HOST is set, otherwise .eml files under the data folder."""
    if settings.smtp_host:
        return SmtpTransport(
            settings.smtp_host,
            settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password,
            starttls=settings.smtp_starttls,
            timeout=settings.smtp_timeout_seconds,
        )
    return FileTransport(data_folder(settings) / "mail", Cipher(settings.encryption_key))
