"""WSGI entry point: ``flask --app wsgi`` or any WSGI server (``wsgi:app``)."""

from webapp import create_app

app = create_app()
