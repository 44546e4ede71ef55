"""PBKDF2 hashers whose iteration count comes from DJANGO_PBKDF2_ITERATIONS, so tests stay cheap.

Same algorithm names as Django's, so hashes they make verify with Django's own hashers and vice versa.
"""
import os

from django.contrib.auth import hashers


class PBKDF2PasswordHasher(hashers.PBKDF2PasswordHasher):
    iterations = int(os.environ.get("DJANGO_PBKDF2_ITERATIONS", hashers.PBKDF2PasswordHasher.iterations))


class PBKDF2SHA1PasswordHasher(hashers.PBKDF2SHA1PasswordHasher):
    iterations = int(os.environ.get("DJANGO_PBKDF2_ITERATIONS", hashers.PBKDF2SHA1PasswordHasher.iterations))
