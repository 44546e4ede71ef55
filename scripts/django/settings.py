"""Settings of the small Django project the tests, the demo and the benches use.

Everything comes from the environment:
  DJANGO_DB_URL            postgres://user[:pw]@host[:port]/db (or ?host=/socket/dir&port=N),
                           mysql://... or mariadb://... (or ?socket=/path/mysqld.sock), sqlite:///abs/path
  DJANGO_CUSTOM_USER=1     use accounts.EmailUser (email as USERNAME_FIELD, no is_active) as AUTH_USER_MODEL
  DJANGO_PASSWORD_HASHERS  comma list of algorithm names (pbkdf2_sha256, argon2, ...) or dotted class paths;
                           the first is the preferred one
  DJANGO_PBKDF2_ITERATIONS PBKDF2 iterations of the preferred pbkdf2 hashers (cheap hashes for tests)
  DJANGO_SECRET_KEY        SECRET_KEY (default: the test project's fixed key below)
  DJANGO_SECRET_KEY_FALLBACKS  comma list for SECRET_KEY_FALLBACKS (a 4.1 setting: Django 3.2 ignores it)
  DJANGO_SESSION_FILE_PATH SESSION_FILE_PATH of the file session engine (default: Django's, the temp dir)
  DJANGO_SESSION_COOKIE_NAME, DJANGO_SESSION_COOKIE_AGE  SESSION_COOKIE_NAME (also the file engine's file
                           prefix), SESSION_COOKIE_AGE in seconds
  DJANGO_DEFAULT_HASHING_ALGORITHM  3.2's DEFAULT_HASHING_ALGORITHM (sha256 or sha1; set only when given)
  DJANGO_AUTHENTICATION_BACKENDS  comma list of dotted paths (default: ModelBackend, AllowAllUsersModelBackend)

The session engine is not a setting here: the oracle's session commands name it per command.
"""
import os
from urllib.parse import parse_qs, unquote, urlsplit

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or "mod_authnz_node test project, not a secret"
if os.environ.get("DJANGO_SECRET_KEY_FALLBACKS"):
    SECRET_KEY_FALLBACKS = [k for k in os.environ["DJANGO_SECRET_KEY_FALLBACKS"].split(",") if k]
DEBUG = False
USE_TZ = True
ALLOWED_HOSTS = ["*"]
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "django.contrib.sessions"]
# Both, so that Django itself accepts a session logged in by either; which ones Apache admits is its own option.
AUTHENTICATION_BACKENDS = [
    b.strip()
    for b in os.environ.get(
        "DJANGO_AUTHENTICATION_BACKENDS",
        "django.contrib.auth.backends.ModelBackend,django.contrib.auth.backends.AllowAllUsersModelBackend",
    ).split(",")
    if b.strip()
]
if os.environ.get("DJANGO_SESSION_FILE_PATH"):
    SESSION_FILE_PATH = os.environ["DJANGO_SESSION_FILE_PATH"]
if os.environ.get("DJANGO_SESSION_COOKIE_NAME"):
    SESSION_COOKIE_NAME = os.environ["DJANGO_SESSION_COOKIE_NAME"]
if os.environ.get("DJANGO_SESSION_COOKIE_AGE"):
    SESSION_COOKIE_AGE = int(os.environ["DJANGO_SESSION_COOKIE_AGE"])
if os.environ.get("DJANGO_DEFAULT_HASHING_ALGORITHM"):
    DEFAULT_HASHING_ALGORITHM = os.environ["DJANGO_DEFAULT_HASHING_ALGORITHM"]
if os.environ.get("DJANGO_CUSTOM_USER") == "1":
    # Only then: PermissionsMixin's reverse accessors would clash with auth.User's otherwise.
    INSTALLED_APPS.append("accounts")
    AUTH_USER_MODEL = "accounts.EmailUser"


def database_from_url(url):
    parts = urlsplit(url)
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    scheme = parts.scheme.lower()
    if scheme == "sqlite":
        if not parts.path.startswith("/"):
            raise ValueError("sqlite URL needs an absolute path: sqlite:///abs/path")
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": unquote(parts.path)}
    config = {
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": query.get("host") or unquote(parts.hostname or ""),
        "PORT": query.get("port") or (str(parts.port) if parts.port else ""),
    }
    if scheme in ("postgres", "postgresql"):
        config["ENGINE"] = "django.db.backends.postgresql"
    elif scheme in ("mysql", "mariadb"):
        config["ENGINE"] = "django.db.backends.mysql"
        config["OPTIONS"] = {"charset": "utf8mb4"}
        if query.get("socket"):
            config["HOST"] = query["socket"]
        if config["HOST"].startswith("/"):
            # MySQLdb takes a socket path through unix_socket, not HOST.
            config["OPTIONS"]["unix_socket"] = config["HOST"]
            config["HOST"] = "localhost"
    else:
        raise ValueError("unsupported DJANGO_DB_URL scheme: %r" % scheme)
    return config


DATABASES = {"default": database_from_url(os.environ.get("DJANGO_DB_URL", "sqlite:////tmp/mod_authnz_node-django.sqlite3"))}

_HASHER_CLASSES = {
    "pbkdf2_sha256": "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "pbkdf2_sha1": "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "argon2": "django.contrib.auth.hashers.Argon2PasswordHasher",
    "bcrypt_sha256": "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "bcrypt": "django.contrib.auth.hashers.BCryptPasswordHasher",
    "scrypt": "django.contrib.auth.hashers.ScryptPasswordHasher",
    "sha1": "django.contrib.auth.hashers.SHA1PasswordHasher",
    "md5": "django.contrib.auth.hashers.MD5PasswordHasher",
    "unsalted_sha1": "django.contrib.auth.hashers.UnsaltedSHA1PasswordHasher",
    "unsalted_md5": "django.contrib.auth.hashers.UnsaltedMD5PasswordHasher",
    "crypt": "django.contrib.auth.hashers.CryptPasswordHasher",
}
_CHEAP_PBKDF2 = {
    "pbkdf2_sha256": "testhashers.PBKDF2PasswordHasher",
    "pbkdf2_sha1": "testhashers.PBKDF2SHA1PasswordHasher",
}


def _hasher_path(name):
    name = name.strip()
    if "." in name:
        return name
    if os.environ.get("DJANGO_PBKDF2_ITERATIONS") and name in _CHEAP_PBKDF2:
        return _CHEAP_PBKDF2[name]
    return _HASHER_CLASSES[name]


if os.environ.get("DJANGO_PASSWORD_HASHERS"):
    PASSWORD_HASHERS = [_hasher_path(n) for n in os.environ["DJANGO_PASSWORD_HASHERS"].split(",") if n.strip()]
elif os.environ.get("DJANGO_PBKDF2_ITERATIONS"):
    PASSWORD_HASHERS = [
        _hasher_path("pbkdf2_sha256"),
        _hasher_path("pbkdf2_sha1"),
        _HASHER_CLASSES["argon2"],
        _HASHER_CLASSES["bcrypt_sha256"],
    ]
