#!/usr/bin/env bash
# Installs what `npm test` / `npm run demo` need on a fresh Debian 12 machine, then `npm ci` and the build.
#   bash scripts/bootstrap.sh test|demo|bench
# As root it installs missing Debian packages with apt-get (otherwise it prints the exact command and
# stops) and creates mod_authnz_node, the worker's system user, if missing.
set -euo pipefail
mode=${1:-test}
cd "$(dirname "$0")/.."

# Build tools and the Apache headers for the module, libxcrypt's headers for the addon's crypt(3) (Django's
# crypt hasher; build-essential brings them today, named so the build does not rest on that), plus Apache
# and Django for every mode.
packages=(build-essential cmake pkg-config libcrypt-dev apache2 apache2-dev curl python3-django python3-argon2 python3-bcrypt)
# chromium: the headless browser the session e2e test drives (through playwright-core, which downloads
# no browser of its own); libapache2-mod-wsgi-py3: the demo's Django site, served in daemon mode.
case "$mode" in
  demo) packages+=(libapache2-mod-wsgi-py3 chromium) ;;
  # clang and its runtimes (libFuzzer, ASan, UBSan) for the fuzz targets' short run (test/integration/fuzz.test.ts);
  # dpkg-dev (dpkg-shlibdeps, dpkg-buildflags) and lintian for the Debian package's (test/e2e/package-deb.test.ts).
  test) packages+=(postgresql mariadb-server sqlite3 python3-psycopg2 python3-mysqldb subversion libapache2-mod-svn litmus rclone wget clang libclang-rt-dev python3-django-axes redis-server time libapache2-mod-wsgi-py3 chromium fail2ban dpkg-dev lintian) ;;
  bench) packages+=(postgresql python3-psycopg2 wrk libapache2-mod-wsgi-py3) ;;
  *) echo "usage: $0 test|demo|bench" >&2; exit 2 ;;
esac

missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" = 0 ]; then
    echo "bootstrap: installing Debian packages: ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  else
    echo "bootstrap: missing Debian packages; run as root:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

# The worker's own user (the demo's NodeAuthWorkerUser), so that httpd's User cannot
# read what only the worker may: the database's password hashes. Not a login: no home, no shell.
worker_user=mod_authnz_node
if [ "$(id -u)" = 0 ] && ! getent passwd "$worker_user" >/dev/null; then
  echo "bootstrap: creating the system user $worker_user" >&2
  useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$worker_user" >&2
fi
# The demo's Django site runs (mod_wsgi daemon mode) as its own user: it reads the SECRET_KEY file,
# which neither httpd's User nor the worker's user may read.
site_user=mod_authnz_node_django
if [ "$(id -u)" = 0 ] && ! getent passwd "$site_user" >/dev/null; then
  echo "bootstrap: creating the system user $site_user" >&2
  useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$site_user" >&2
fi

# npm ci when node_modules is missing or older than the lock file.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "bootstrap: npm ci" >&2
  npm ci --no-fund --no-audit >&2
fi
# better-sqlite3 builds from source here (its prebuilt download is not reachable); make sure it loads.
if ! node -e "require('better-sqlite3')(':memory:').close()" 2>/dev/null; then
  echo "bootstrap: rebuilding better-sqlite3" >&2
  npm rebuild better-sqlite3 >&2
fi

echo "bootstrap: npm run build" >&2
npm run --silent build >&2
