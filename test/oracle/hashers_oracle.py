"""Django's password hashers as an oracle for test/integration/hashers-django.test.ts.

Run with Debian's interpreter (/usr/bin/python3, which has python3-django 3.2, python3-argon2 and
python3-bcrypt). No database: Django is configured with settings.configure() only. Reads one JSON command
per line on stdin and writes one JSON answer per line on stdout:

  configure {hashers: [algorithm names, first preferred], pbkdf2_iterations?, argon2?: {time_cost,
             memory_cost, parallelism}, bcrypt_rounds?}   -> {ok: true}
      Sets PASSWORD_HASHERS and the hasher classes' cost attributes (Django reads them per instance).
      Omitted costs go back to Django 3.2's defaults.
  make {password, hasher, salt?}            -> {encoded}          make_password(password, salt, hasher)
  check {password, encoded}                 -> {result, must_update} | {error}
      check_password(password, encoded), and must_update as check_password computes it (hasher changed, or
      the preferred hasher's must_update), or null when the hasher cannot be identified.
  scrypt {password, salt, n, r, p}          -> {key_b64}          hashlib.scrypt with Django 4's maxmem=0, dklen=64
  crypt {password, setting}                 -> {hash}             crypt.crypt(password, setting), what Django's
      CryptPasswordHasher calls, for the methods its make_password does not make ($1$, $5$, $6$, $y$, $2b$...)
  info {}                                   -> {django, argon2_cffi, bcrypt, argon2_hash_len, crypt}

Any exception is answered as {error: "<Type>: <message>"} and the loop goes on.
"""
import base64
import hashlib
import json
import sys
import warnings

warnings.simplefilter("ignore", DeprecationWarning)

import django  # noqa: E402
from django.conf import settings  # noqa: E402

CLASSES = {
    "pbkdf2_sha256": "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "pbkdf2_sha1": "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "argon2": "django.contrib.auth.hashers.Argon2PasswordHasher",
    "bcrypt_sha256": "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "bcrypt": "django.contrib.auth.hashers.BCryptPasswordHasher",
    "md5": "django.contrib.auth.hashers.MD5PasswordHasher",
    "sha1": "django.contrib.auth.hashers.SHA1PasswordHasher",
    "unsalted_md5": "django.contrib.auth.hashers.UnsaltedMD5PasswordHasher",
    "unsalted_sha1": "django.contrib.auth.hashers.UnsaltedSHA1PasswordHasher",
    "crypt": "django.contrib.auth.hashers.CryptPasswordHasher",
}

settings.configure(PASSWORD_HASHERS=list(CLASSES.values()), USE_TZ=True)
django.setup()

from django.contrib.auth import hashers  # noqa: E402

DEFAULTS = {
    "pbkdf2_iterations": hashers.PBKDF2PasswordHasher.iterations,
    "argon2": {
        "time_cost": hashers.Argon2PasswordHasher.time_cost,
        "memory_cost": hashers.Argon2PasswordHasher.memory_cost,
        "parallelism": hashers.Argon2PasswordHasher.parallelism,
    },
    "bcrypt_rounds": hashers.BCryptSHA256PasswordHasher.rounds,
}


def configure(args):
    names = args["hashers"]
    settings.PASSWORD_HASHERS = [CLASSES[name] for name in names]
    hashers.reset_hashers(setting="PASSWORD_HASHERS")
    # PBKDF2SHA1PasswordHasher and BCryptPasswordHasher inherit these attributes.
    hashers.PBKDF2PasswordHasher.iterations = args.get("pbkdf2_iterations", DEFAULTS["pbkdf2_iterations"])
    argon2 = {**DEFAULTS["argon2"], **args.get("argon2", {})}
    hashers.Argon2PasswordHasher.time_cost = argon2["time_cost"]
    hashers.Argon2PasswordHasher.memory_cost = argon2["memory_cost"]
    hashers.Argon2PasswordHasher.parallelism = argon2["parallelism"]
    hashers.BCryptSHA256PasswordHasher.rounds = args.get("bcrypt_rounds", DEFAULTS["bcrypt_rounds"])
    return {"ok": True}


def make(args):
    salt = args.get("salt")
    if salt is not None and args["hasher"] in ("bcrypt", "bcrypt_sha256"):
        salt = salt.encode("ascii")  # Django passes bcrypt salts as bytes (bcrypt.gensalt()).
    return {"encoded": hashers.make_password(args["password"], salt, args["hasher"])}


def check(args):
    encoded = args["encoded"]
    try:
        hasher = hashers.identify_hasher(encoded)
    except ValueError:
        hasher = None
    must_update = None
    if hasher is not None and hashers.is_password_usable(encoded):
        preferred = hashers.get_hasher("default")
        must_update = hasher.algorithm != preferred.algorithm or preferred.must_update(encoded)
    return {"result": hashers.check_password(args["password"], encoded), "must_update": must_update}


def scrypt(args):
    key = hashlib.scrypt(
        args["password"].encode(), salt=args["salt"].encode(), n=args["n"], r=args["r"], p=args["p"], maxmem=0, dklen=64
    )
    return {"key_b64": base64.b64encode(key).decode("ascii")}


def crypt_(args):
    import crypt

    return {"hash": crypt.crypt(args["password"], args["setting"])}


def info(_args):
    import argon2
    import bcrypt

    try:
        import crypt

        crypt_works = crypt.crypt("x", "ab") is not None
    except ImportError:
        crypt_works = False
    return {
        "django": django.get_version(),
        "argon2_cffi": argon2.__version__,
        "bcrypt": bcrypt.__version__,
        "argon2_hash_len": argon2.DEFAULT_HASH_LENGTH,
        "crypt": crypt_works,
    }


COMMANDS = {"configure": configure, "make": make, "check": check, "scrypt": scrypt, "crypt": crypt_, "info": info}


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            request = json.loads(line)
            answer = COMMANDS[request["cmd"]](request)
        except Exception as error:  # noqa: BLE001 - every failure is an answer
            answer = {"error": "%s: %s" % (type(error).__name__, error)}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
