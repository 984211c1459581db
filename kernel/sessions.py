"""Session engine: the database is the record, the cache a copy in front of it.

Django's `cached_db` engine already writes every session to the database; it reads
through the cache first. Here every cache call goes through `kernel.cache`, so with the
cache down a session is read from (and written to) the database alone, and staff stay
signed in through a Redis outage instead of getting 500s.
"""

from django.contrib.sessions.backends import cached_db
from django.contrib.sessions.backends.db import SessionStore as DBStore

from kernel.cache import cache_call

USE = "sessions"


class SessionStore(cached_db.SessionStore):
    def load(self):
        # A key the cache refuses counts as a miss, as in Django's own engine.
        data = cache_call(USE, lambda: self._cache.get(self.cache_key))
        if data is not None:
            return data
        stored = self._get_session_from_db()
        if not stored:
            return {}
        data = self.decode(stored.session_data)
        age = self.get_expiry_age(expiry=stored.expire_date)
        cache_call(USE, lambda: self._cache.set(self.cache_key, data, age))
        return data

    def exists(self, session_key):
        key = self.cache_key_prefix + session_key
        return bool(cache_call(USE, lambda: session_key and key in self._cache)) or (
            DBStore.exists(self, session_key)
        )

    def save(self, must_create=False):
        DBStore.save(self, must_create)
        cache_call(
            USE, lambda: self._cache.set(self.cache_key, self._session, self.get_expiry_age())
        )

    def delete(self, session_key=None):
        DBStore.delete(self, session_key)
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        key = self.cache_key_prefix + session_key
        cache_call(USE, lambda: self._cache.delete(key))

    def flush(self):
        self.clear()
        self.delete(self.session_key)
        self._session_key = None
