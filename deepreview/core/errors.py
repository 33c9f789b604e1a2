"""The application's own error type: services raise it, the API renders it."""

from __future__ import annotations


class ApplicationError(Exception):
    """A rule was broken by the caller's input; the message says what to do.

    ``code`` is a stable machine-readable string, ``status`` the HTTP status the
    API answers with, ``fields`` optional per-field messages.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str = "invalid",
        status: int = 400,
        fields: dict[str, list[str]] | None = None,
        extra: dict | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.fields = fields or {}
        self.extra = extra or {}
