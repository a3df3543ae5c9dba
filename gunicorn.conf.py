"""gunicorn's production defaults; each can be overridden from the environment.

The app's own settings are FLASK_* variables (see the README); these are the server's.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# Load the content once in the master; workers start with it (copy-on-write) and each
# begins watching the folder itself, so a fork never misses an edit.
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") not in ("0", "false", "no")
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
timeout = 30
graceful_timeout = 10
keepalive = 5
