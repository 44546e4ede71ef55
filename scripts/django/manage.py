#!/usr/bin/env python3
"""Django's manage.py for the test project; run it with Debian's /usr/bin/python3 and DJANGO_DB_URL set."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")

if __name__ == "__main__":
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
