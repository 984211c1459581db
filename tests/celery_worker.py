"""pytest plugin: a real Celery worker process for tests marked `redis` (see refunds issue)."""
