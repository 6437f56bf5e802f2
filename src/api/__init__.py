"""The HTTP API (FastAPI): ``create_app(services)`` builds the ASGI app of API.md."""

from api.app import create_app

__all__ = ["create_app"]
