"""Credentials of remote sources: taken from the environment when fetched, never shown.

A source's secret values are those of parameters with a secret name (the common
:data:`~pipeline.config.models.SECRET_NAMES` and the source's ``redact`` list), of every
header, and of every ``${NAME}`` taken from the environment. :class:`Secrets` resolves the
references for the requests and scrubs those values, and secret-named query values of any
URL, from every text that leaves the sources package: messages, locations, log records of
the ``httpx`` logger, and the exceptions chained to a :class:`~pipeline.config.errors.LayerError`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, quote_plus, urlsplit

from pipeline.config.models import (
    ENV_REFERENCE,
    REDACTED,
    RemoteKeys,
    redact_query,
    secret_name_key,
)


class RedactedError(RuntimeError):
    """Stands in, in an exception chain, for an exception whose message held a secret."""


@dataclass(frozen=True)
class Secrets:
    """The secret names and values of one remote source, and the environment it reads.

    Build it with :meth:`of`; ``missing`` lists the ``${NAME}`` references the environment
    does not define (:meth:`require` raises on them).
    """

    names: frozenset[str]
    values: tuple[str, ...]
    env: Mapping[str, str]
    missing: tuple[str, ...] = ()

    @classmethod
    def of(cls, spec: RemoteKeys, env: Mapping[str, str]) -> Secrets:
        """The secrets of ``spec`` with its ``${NAME}`` references looked up in ``env``."""
        names = spec.secret_names()
        values: set[str] = set()
        missing: list[str] = []
        for where, mapping in (("params", spec.params), ("headers", spec.headers)):
            for key, value in mapping.items():
                for ref in ENV_REFERENCE.findall(value):
                    if ref in env:
                        values.add(env[ref])
                    else:
                        missing.append(f"{ref} (in {where}.{key})")
                if where == "headers" or secret_name_key(key) in names:
                    values.add(resolve(value, env))
        query = parse_qsl(urlsplit(spec.url).query, keep_blank_values=True)
        values.update(v for k, v in query if secret_name_key(k) in names)
        ordered = tuple(sorted((v for v in values if v), key=len, reverse=True))
        return cls(names, ordered, env, tuple(missing))

    def require(self) -> None:
        """Raise ``ValueError`` naming every ``${NAME}`` the environment does not define."""
        if self.missing:
            raise ValueError(f"environment variable not set: {', '.join(self.missing)}")

    def resolved(self, values: Mapping[str, str]) -> dict[str, str]:
        """``values`` with every ``${NAME}`` replaced by the environment's value."""
        return {key: resolve(value, self.env) for key, value in values.items()}

    def scrub(self, text: str) -> str:
        """``text`` with secret-named query values and every secret value replaced by ``***``.

        Values are also replaced in their percent-encoded forms, as they appear in URLs.
        """
        text = redact_query(text, self.names)
        for value in self.values:
            for form in {value, quote(value, safe=""), quote_plus(value)}:
                text = text.replace(form, REDACTED)
        return text

    def without_secrets(self, exc: BaseException) -> BaseException:
        """``exc`` for chaining: itself when clean, else a :class:`RedactedError`.

        Its causes are treated alike, so a printed traceback never shows a secret.
        """
        text = str(exc)
        clean = self.scrub(text)
        out = exc
        if clean != text:
            out = RedactedError(f"{type(exc).__name__}: {clean}").with_traceback(exc.__traceback__)
        cause = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
        if cause is not None:
            out.__cause__ = self.without_secrets(cause)
        return out


def resolve(value: str, env: Mapping[str, str]) -> str:
    """``value`` with each ``${NAME}`` replaced by ``env[NAME]`` (empty when undefined).

    >>> resolve("Bearer ${TOKEN}", {"TOKEN": "abc"})
    'Bearer abc'
    """
    return ENV_REFERENCE.sub(lambda found: env.get(found.group(1), ""), value)


class _ScrubbingFilter(logging.Filter):
    """Rewrites each record's message with the secrets scrubbed."""

    def __init__(self, secrets: Secrets) -> None:
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.secrets.scrub(record.getMessage())
        record.args = None
        return True


@contextmanager
def scrubbed_http_logs(secrets: Secrets) -> Iterator[None]:
    """While open, the ``httpx`` logger's records (each request's URL) are scrubbed."""
    logger = logging.getLogger("httpx")
    scrubber = _ScrubbingFilter(secrets)
    logger.addFilter(scrubber)
    try:
        yield
    finally:
        logger.removeFilter(scrubber)
