"""``lutetia serve``: the clinic and trial web application, a shell beside the CLI.

FastAPI routes render Jinja2 templates (htmx vendored under ``static/``, no build step); every
clinical number on a page comes from the core (:mod:`lutetia.decide`, :mod:`lutetia.analysis`,
:mod:`lutetia.assess`), every write goes through the store with the logged-in user as actor.
See ``docs/web.md``.
"""

from lutetia.web.app import create_app
from lutetia.web.config import WebConfig

__all__ = ["WebConfig", "create_app"]
