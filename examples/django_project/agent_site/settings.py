"""Settings of the Django recipe: the least a token endpoint needs.

Credentials come from the environment, never from this file.  Sessions are
signed cookies (django.contrib.sessions' signed_cookies engine), so the
recipe runs without a database; a real project keeps its own session store
and user model, and puts the worker sid on the user (see views.py).
"""

import json
import os

SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]

INSTALLED_APPS = ["django.contrib.sessions"]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
]
ROOT_URLCONF = "agent_site.urls"
WSGI_APPLICATION = "agent_site.wsgi.application"
DATABASES: dict[str, dict[str, str]] = {}
SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
SESSION_COOKIE_HTTPONLY = True
USE_TZ = True

TWILIO_ACCOUNT_SID = os.environ["TWILIO_ACCOUNT_SID"]
TWILIO_AUTH_TOKEN = os.environ["TWILIO_AUTH_TOKEN"]
TWILIO_WORKSPACE_SID = os.environ["TWILIO_WORKSPACE_SID"]
#: {"alice": {"password": "...", "worker_sid": "WK..."}}: the stand-in for
#: your user model.
AGENT_USERS = json.loads(os.environ.get("AGENT_USERS", "{}"))
TOKEN_TTL = int(os.environ.get("TOKEN_TTL", "3600"))
