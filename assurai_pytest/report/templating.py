"""The one Jinja2 environment of the HTML report: package templates, autoescape, redaction.

Every ``{{ value }}`` is redacted (``redact`` as the environment's finalize, and as the ``redact``
filter for templates that want it explicit) before autoescaping, so model output and error texts
can neither leak a key nor become markup. Values that are already markup (``Markup``: the page's
own CSS and script, the case data JSON) pass untouched.
"""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any

from assurai_pytest.redact import redact

if TYPE_CHECKING:
    from jinja2 import Environment
    from markupsafe import Markup


def _finalize(value: Any) -> Any:
    from markupsafe import Markup

    if isinstance(value, Markup) or not isinstance(value, str):
        return "" if value is None else value
    return redact(value)


_BARE = re.compile(r"[A-Za-z0-9_.:\-]+")


def bare_or_quoted(text: str) -> Markup:
    """An (already redacted) attribute value, unquoted when HTML allows it (it saves bytes in
    pytest-html's JSON, where each quote costs six), else quoted and escaped."""
    from markupsafe import Markup, escape

    return Markup(text) if _BARE.fullmatch(text) else Markup('"') + escape(text) + Markup('"')


def attr_value(value: Any) -> Markup:
    """The ``attr_value`` filter: :func:`bare_or_quoted` of the redacted value."""
    return bare_or_quoted(redact(str(value)))


@cache
def environment() -> Environment:
    """The shared environment (jinja2 comes with pytest-html; imported on first use)."""
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(loader=PackageLoader("assurai_pytest.report", "templates"), autoescape=True,
                      finalize=_finalize, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["redact"] = redact
    env.filters["attr_value"] = attr_value
    return env


def render(template: str, **context: Any) -> str:
    """Render ``template`` from ``report/templates`` with ``context``."""
    return environment().get_template(template).render(**context)


@cache
def static(name: str) -> Markup:
    """A static file of ``report/templates`` (the page's CSS or script) as trusted markup."""
    from markupsafe import Markup

    return Markup(files("assurai_pytest.report").joinpath("templates", name).read_text(encoding="utf-8"))
