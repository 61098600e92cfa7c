"""Cadastre settings package: settings, URLs, WSGI/ASGI entry points."""
