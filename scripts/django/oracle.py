#!/usr/bin/python3
"""Django as a test oracle: reads one JSON command per line on stdin, writes one JSON answer per line.

Run with Debian's Python (/usr/bin/python3, Django 3.2) and DJANGO_DB_URL (see settings.py). Each command
is {"cmd": name, ...arguments}; each answer is {"ok": true, ...results} or
{"ok": false, "error": message, "error_type": exception class}. The answers for check_password and
groups_for_user come from django.contrib.auth.handlers.modwsgi itself, has_perm from User.has_perm
(ModelBackend), so the tests compare the Node handler with Django's own code, not with a copy of it.

Commands:
  migrate                                          run every migration (creates permissions too)
  create_user {username, password|null, is_active, is_superuser, is_staff, groups, permissions,
               hasher, iterations, encoded}        password null makes it unusable; encoded stores as is
  create_group {name, permissions}
  create_permission {app_label, model, codename, name}
  set_password {username, password, hasher, iterations}
  set_raw_password {username, encoded}
  set_active {username, active}
  delete_user {username}
  get_password {username}                          -> {encoded}
  check_password {username, password}              -> {result: true|false|null}  (modwsgi.check_password)
  groups_for_user {username}                       -> {groups: [...]}             (modwsgi.groups_for_user)
  has_perm {username, perm}                        -> {result, found}             (User.has_perm)
  make_password {password, hasher, iterations}     -> {encoded}
  check_encoded {password, encoded}                -> {result}  (hashers.check_password, no setter)
  must_update {encoded}                            -> {result}  (what check_password's setter would do)
  audit_hashes                                     -> {rows: [{usable, algorithm, must_update, iterations}]}
                                                   every user's stored value as Django reads it
  seed_demo                                        alice, bob, carol, jürgen (see seed_demo below)
  login {engine, username, password, backend?, signed_at?}
                                                   -> {cookie, backend}  (authenticate, auth.login, save)
  logout {engine, cookie}                          auth.logout: the session is flushed (row / file deleted)
  expire_session {engine, cookie}                  db, cached_db, file only (see expire_session below)
  session_user {engine, cookie, keep?}             -> {username|null}  (auth.get_user on that session)

The session commands take the engine per command (db | cached_db | signed_cookies | file:
django.contrib.sessions.backends.<engine>.SessionStore), as SessionMiddleware would build it from the cookie.
  version                                          -> {django, engine, custom_user, hashers}
"""
import importlib
import json
import os
import sys
import time
import traceback
from datetime import timedelta
from unittest import mock

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib import auth  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth import hashers  # noqa: E402
from django.contrib.auth.handlers import modwsgi  # noqa: E402
from django.contrib.auth.models import Group, Permission  # noqa: E402
from django.contrib.contenttypes.models import ContentType  # noqa: E402
from django.core.cache import caches  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.db.utils import InterfaceError, OperationalError  # noqa: E402
from django.test import RequestFactory  # noqa: E402
from django.utils import timezone  # noqa: E402

UserModel = get_user_model()
HAS_IS_ACTIVE = any(f.name == "is_active" for f in UserModel._meta.get_fields())


def _user(username):
    return UserModel._default_manager.get_by_natural_key(username)


def _permission(perm):
    app_label, codename = perm.split(".", 1)
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def _encode(password, hasher=None, iterations=None):
    if password is None:
        return hashers.make_password(None)
    if iterations is not None:
        # A fresh instance: get_hasher() returns Django's cached one, which must keep its settings.
        instance = type(hashers.get_hasher(hasher or "default"))()
        instance.iterations = int(iterations)
        return instance.encode(password, instance.salt())
    return hashers.make_password(password, hasher=hasher or "default")


def migrate(_):
    call_command("migrate", verbosity=0, interactive=False)
    return {}


def create_group(args):
    group, _ = Group.objects.get_or_create(name=args["name"])
    for perm in args.get("permissions", []):
        group.permissions.add(_permission(perm))
    return {"id": group.id}


def create_permission(args):
    content_type, _ = ContentType.objects.get_or_create(app_label=args["app_label"], model=args["model"])
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type, codename=args["codename"], defaults={"name": args.get("name", args["codename"])}
    )
    return {"id": permission.id}


def create_user(args):
    extra = {"is_superuser": bool(args.get("is_superuser", False))}
    if args.get("is_staff"):
        extra["is_staff"] = True
    if HAS_IS_ACTIVE:
        extra["is_active"] = bool(args.get("is_active", True))
    elif args.get("is_active") is False:
        raise ValueError("this user model has no is_active field")
    user = UserModel._default_manager.create_user(args["username"], password=args.get("password"), **extra)
    if args.get("encoded") is not None or args.get("hasher") or args.get("iterations"):
        user.password = args["encoded"] if args.get("encoded") is not None else _encode(
            args.get("password"), args.get("hasher"), args.get("iterations")
        )
        user.save(update_fields=["password"])
    for name in args.get("groups", []):
        group, _ = Group.objects.get_or_create(name=name)
        user.groups.add(group)
    for perm in args.get("permissions", []):
        user.user_permissions.add(_permission(perm))
    return {"id": user.pk, "username": user.get_username(), "encoded": user.password}


def set_password(args):
    user = _user(args["username"])
    user.password = _encode(args.get("password"), args.get("hasher"), args.get("iterations"))
    user.save(update_fields=["password"])
    return {"encoded": user.password}


def set_raw_password(args):
    user = _user(args["username"])
    user.password = args["encoded"]
    user.save(update_fields=["password"])
    return {}


def set_active(args):
    user = _user(args["username"])
    user.is_active = bool(args["active"])
    user.save(update_fields=["is_active"])
    return {}


def remove_from_group(args):
    _user(args["username"]).groups.remove(Group.objects.get(name=args["group"]))
    return {}


def remove_permission(args):
    _user(args["username"]).user_permissions.remove(_permission(args["perm"]))
    return {}


def remove_group_permission(args):
    Group.objects.get(name=args["group"]).permissions.remove(_permission(args["perm"]))
    return {}


def delete_user(args):
    _user(args["username"]).delete()
    return {}


def get_password(args):
    return {"encoded": _user(args["username"]).password}


def check_password(args):
    return {"result": modwsgi.check_password({}, args["username"], args["password"])}


def groups_for_user(args):
    return {"groups": [name.decode("utf-8") for name in modwsgi.groups_for_user({}, args["username"])]}


def has_perm(args):
    try:
        user = _user(args["username"])
    except UserModel.DoesNotExist:
        return {"result": False, "found": False}
    return {"result": user.has_perm(args["perm"]), "found": True}


def make_password(args):
    return {"encoded": _encode(args.get("password"), args.get("hasher"), args.get("iterations"))}


def check_encoded(args):
    return {"result": hashers.check_password(args["password"], args["encoded"])}


def must_update(args):
    encoded = args["encoded"]
    preferred = hashers.get_hasher("default")
    try:
        hasher = hashers.identify_hasher(encoded)
    except ValueError:
        return {"result": False}
    return {"result": hasher.algorithm != preferred.algorithm or preferred.must_update(encoded)}


def _audit_row(encoded):
    """Django's view of one stored value: is_password_usable, identify_hasher (None when it raises),
    verify_password's must_update, and the cost decode() reports (None when it cannot read the value)."""
    if not hashers.is_password_usable(encoded):
        return {"usable": False, "algorithm": None, "must_update": False, "iterations": None}
    try:
        hasher = hashers.identify_hasher(encoded)
    except ValueError:
        return {"usable": True, "algorithm": None, "must_update": False, "iterations": None}
    try:
        decoded = hasher.decode(encoded)
        iterations = decoded.get("iterations", decoded.get("work_factor", decoded.get("time_cost")))
        preferred = hashers.get_hasher("default")
        must = hasher.algorithm != preferred.algorithm or preferred.must_update(encoded)
    except Exception:  # a value the hasher cannot read: no right password exists, nothing to upgrade
        iterations, must = None, False
    return {"usable": True, "algorithm": hasher.algorithm, "must_update": bool(must), "iterations": iterations}


def audit_hashes(_):
    values = UserModel._default_manager.order_by("pk").values_list("password", flat=True)
    return {"rows": [_audit_row(encoded) for encoded in values.iterator()]}


def seed_demo(_):
    """The demo's users: alice/wonderland and jürgen/pässwörd in secret-agents, bob/builder in no group,
    carol/inactive inactive but in secret-agents. Idempotent: existing users get their password reset."""
    demo = [
        ("alice", "wonderland", True, ["secret-agents"]),
        ("bob", "builder", True, []),
        ("carol", "inactive", False, ["secret-agents"]),
        ("jürgen", "pässwörd", True, ["secret-agents"]),
    ]
    group, _ = Group.objects.get_or_create(name="secret-agents")
    for username, password, active, groups in demo:
        if not HAS_IS_ACTIVE and not active:
            continue
        try:
            user = _user(username)
        except UserModel.DoesNotExist:
            user = UserModel._default_manager.create_user(username, password=password)
        user.set_password(password)
        if HAS_IS_ACTIVE:
            user.is_active = active
        user.save()
        user.groups.set([group] if groups else [])
    return {"users": [d[0] for d in demo]}


SESSION_ENGINES = ("db", "cached_db", "signed_cookies", "file")


def _session_store(engine):
    if engine not in SESSION_ENGINES:
        raise ValueError("unknown session engine %r (one of %s)" % (engine, ", ".join(SESSION_ENGINES)))
    return importlib.import_module("django.contrib.sessions.backends." + engine).SessionStore


def _session_request(engine, cookie=None):
    """A request carrying the session SessionMiddleware would attach for this cookie (None: no cookie)."""
    request = RequestFactory().get("/")
    request.session = _session_store(engine)(cookie)
    return request


def login(args):
    """Django's login view, reduced: authenticate (every AUTHENTICATION_BACKENDS in order, or only `backend`),
    auth.login on a fresh session, then the save SessionMiddleware does; the cookie is the session key.
    signed_at (signed_cookies only): sign as if time.time() were that many seconds since the epoch, to make
    a cookie that is old (or expired) now; the other engines keep their expiry server side (expire_session)."""
    engine = args["engine"]
    signed_at = args.get("signed_at")
    if signed_at is not None and engine != "signed_cookies":
        raise ValueError("signed_at applies to signed_cookies only; use expire_session for %s" % engine)
    request = _session_request(engine)
    credentials = {"username": args["username"], "password": args["password"]}
    backend = args.get("backend")
    if backend:
        user = auth.load_backend(backend).authenticate(request, **credentials)
    else:
        user = auth.authenticate(request, **credentials)
        backend = getattr(user, "backend", None)
    if user is None:
        raise PermissionError("Django did not authenticate %r" % args["username"])
    if signed_at is None:
        auth.login(request, user, backend=backend)
        request.session.save()
    else:
        # TimestampSigner.timestamp() reads time.time() through django.core.signing's module global.
        with mock.patch("django.core.signing.time.time", return_value=float(signed_at)):
            auth.login(request, user, backend=backend)
            request.session.save()
    return {"cookie": request.session.session_key, "backend": backend}


def logout(args):
    request = _session_request(args["engine"], args["cookie"])
    auth.logout(request)
    return {}


def expire_session(args):
    """Makes the session expired as its engine sees it, keeping its key and content.
    db, cached_db: expire_date a day in the past through the model (and the cached copy dropped, as its
    timeout would have); file: the file's mtime older than SESSION_COOKIE_AGE (the login sets no
    _session_expiry, so the file engine dates the session by its mtime). signed_cookies cannot be expired
    after issue (its expiry is the signature's timestamp): log in with signed_at instead."""
    engine, cookie = args["engine"], args["cookie"]
    store = _session_store(engine)(cookie)
    if engine == "signed_cookies":
        raise ValueError("a signed cookie cannot be expired after issue: log in with signed_at in the past")
    if not store.exists(cookie):
        raise LookupError("no such session")
    if engine == "file":
        then = time.time() - settings.SESSION_COOKIE_AGE - 86400
        os.utime(store._key_to_file(cookie), (then, then))
        return {}
    updated = store.model.objects.filter(session_key=cookie).update(expire_date=timezone.now() - timedelta(days=1))
    if engine == "cached_db":
        caches[settings.SESSION_CACHE_ALIAS].delete(store.cache_key)
    return {"updated": updated}


def session_user(args):
    """auth.get_user on a request carrying that session: the username, or None for AnonymousUser. As on a
    real request, a session whose auth hash no longer matches is flushed (row / file deleted); with keep,
    the flush deletes nothing, so later commands see the session as it was."""
    request = _session_request(args["engine"], args["cookie"])
    if args.get("keep"):
        with mock.patch.object(request.session, "delete"):
            user = auth.get_user(request)
    else:
        user = auth.get_user(request)
    return {"username": user.get_username() if user.is_authenticated else None}


def version(_):
    return {
        "django": django.get_version(),
        "engine": connection.vendor,
        "custom_user": settings.AUTH_USER_MODEL,
        "hashers": [h.algorithm for h in hashers.get_hashers()],
        "pbkdf2_iterations": hashers.get_hasher("pbkdf2_sha256").iterations,
    }


COMMANDS = {f.__name__: f for f in [
    migrate, create_group, create_permission, create_user, set_password, set_raw_password, set_active,
    remove_from_group, remove_permission, remove_group_permission,
    delete_user, get_password, check_password, groups_for_user, has_perm, make_password, check_encoded,
    must_update, audit_hashes, seed_demo, login, logout, expire_session, session_user, version,
]}


def main():
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            command = json.loads(line)
            handler = COMMANDS[command["cmd"]]
            try:
                answer = {"ok": True, **handler(command)}
            except (OperationalError, InterfaceError):
                # The database went away and came back (the tests kill servers): Django drops a broken
                # connection at the end of a request; do that and try the command once more.
                connections.close_all()
                answer = {"ok": True, **handler(command)}
        except Exception as error:  # every failure is an answer; the caller decides
            answer = {"ok": False, "error": str(error) or repr(error), "error_type": type(error).__name__}
            traceback.print_exc(file=sys.stderr)
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
