"""The Azure Functions host: the change-feed trigger of the projections (and, through
``build_function_app(asgi_app=...)``, the HTTP API). ``function_app.py`` only wires this."""
