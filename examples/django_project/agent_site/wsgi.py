"""WSGI entry point: gunicorn agent_site.wsgi (from examples/django_project)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agent_site.settings")
application = get_wsgi_application()
