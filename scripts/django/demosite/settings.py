"""The demo's Django site (npm run demo): a login page, a logout and a home page on the same origin as the
files mod_authnz_node protects with AuthType DjangoSession. Served by Apache's mod_wsgi in daemon mode
(src/demo/django-site.ts writes the configuration).

The demo writes local.json next to this file: the SQLite database (the same one the demo's users are
in) and the SECRET_KEY file. The key is read from that file, never written here: the file is readable by
root and this site's user only, and mod_authnz_node reads the same file (NodeAuthDjangoOption
secret_key_file) to check the session cookies this site signs.
"""
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
LOCAL = json.loads((HERE / "local.json").read_text())

# The file's first line is SECRET_KEY, as the module reads it (further lines would be fallbacks, 4.1 on).
with open(LOCAL["secret_key_file"], encoding="utf-8") as key_file:
    SECRET_KEY = key_file.readline().rstrip("\n")

DEBUG = False
USE_TZ = True
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
ROOT_URLCONF = "demosite.urls"
WSGI_APPLICATION = "demosite.wsgi.application"

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [str(HERE / "templates")],
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
            ],
        },
    }
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": LOCAL["database"]}}

# The settings the module must be told as NodeAuthDjangoOption keys are Django's defaults here:
# SESSION_ENGINE db, SESSION_COOKIE_NAME sessionid, SESSION_COOKIE_AGE two weeks. SESSION_COOKIE_PATH
# stays "/", so the browser sends the cookie to /members/ as well as to /accounts/.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/accounts/"
LOGOUT_REDIRECT_URL = "/accounts/login/"
