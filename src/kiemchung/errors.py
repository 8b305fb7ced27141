"""The exception tree of kiemchung.

    KiemchungError            anything kiemchung raises on purpose
    ├── ConfigError           a setting is missing or invalid
    ├── InputError            a user's input cannot be read (file, JSON line, request body)
    │   └── RecordError       one record of an input is invalid; carries where it was
    ├── NotFoundError         a requested object does not exist
    ├── ConflictError         someone else changed the object meanwhile (no lost update)
    ├── AuthenticationError   no valid session or token
    ├── RateLimited           too many attempts from this client or for this account: wait retry_after s
    ├── PermissionDenied      the actor's role does not allow this
    └── StorageError          the database cannot be reached or is not initialised

The CLI prints any KiemchungError as one line; the web layer maps them to HTTP statuses.
"""

from __future__ import annotations


class KiemchungError(Exception):
    """Base class: an error meant to be shown to a person, in one line."""


class ConfigError(KiemchungError):
    pass


class InputError(KiemchungError):
    pass


class RecordError(InputError):
    """One record of an input file is invalid."""

    def __init__(self, reason: str, *, source: str = "", line: int | None = None) -> None:
        self.reason = reason
        self.source = source
        self.line = line
        super().__init__(self.describe())

    def describe(self) -> str:
        where = self.source or "<input>"
        if self.line is not None:
            where = f"{where}:{self.line}"
        return f"{where}: {self.reason}"


class NotFoundError(KiemchungError):
    pass


class StorageError(KiemchungError):
    pass


class ConflictError(KiemchungError):
    pass


class AuthenticationError(KiemchungError):
    pass


class PermissionDenied(KiemchungError):
    pass


class RateLimited(KiemchungError):
    """Too many attempts (sign-in throttling); `retry_after` is the wait in whole seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(message)
