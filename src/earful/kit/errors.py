"""Errors that carry the HTTP status they mean, so entry points need no mapping tables."""

from __future__ import annotations


class EarfulError(Exception):
    """A failure the user can act on; `status` is the HTTP status it maps to."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(EarfulError):
    """The thing asked for does not exist."""

    status = 404


class Forbidden(EarfulError):
    """The user may not do this."""

    status = 403


class Conflict(EarfulError):
    """The request conflicts with what is stored."""

    status = 409


class Invalid(EarfulError):
    """A form or request field holds a value that cannot be used; `field` names it."""

    status = 400

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
