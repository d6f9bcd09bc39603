"""The Redis cache backend, with one redis-py client per connection pool.

Django's `RedisCacheClient` builds a new `redis.Redis` for every cache call, and redis-py's constructor
sets up its table of response callbacks each time: about 0.2 ms, more than the call to Redis itself, paid
several times per API request (rate limit, promotions, idempotency). A client is thread-safe (each command
takes a connection from the pool), so one per pool serves every call.
"""

from __future__ import annotations

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class _OneClientPerPool(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(pool)
        if client is None:
            client = self._clients[pool] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _OneClientPerPool
