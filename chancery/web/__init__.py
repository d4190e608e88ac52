"""The web interface: the read-only JSON API and HTML pages over an Archive."""

from chancery.web.app import create_app, serve

__all__ = ["create_app", "serve"]
