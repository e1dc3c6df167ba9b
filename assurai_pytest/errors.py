"""The errors the plugin raises on purpose; each carries a message fit for a user."""

from __future__ import annotations


class AssuraiError(Exception):
    """Base of every error the plugin raises on purpose."""


class UsageError(AssuraiError):
    """A bad option value or file; pytest exits with code 4."""


class DatasetError(UsageError):
    """A dataset line that cannot be used; names the file and line."""

    def __init__(self, source: str, message: str) -> None:
        super().__init__(f"{source}: {message}")
        self.source = source
        self.detail = message


class BaselineError(UsageError):
    """A baseline file that is corrupt or from a newer schema; the file is left untouched."""


class ProviderError(AssuraiError):
    """A model or judge could not be reached or refused the request; the case is an error."""

    def __init__(self, message: str, *, retryable: bool = False, retry_after: float | None = None,
                 rate_limited: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after
        self.rate_limited = rate_limited
