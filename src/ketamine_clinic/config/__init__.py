"""Project configuration: settings, URL map and the ASGI application."""
