"""portal.cache.RedisCache: one redis-py client per connection pool, not one per cache call."""

from portal.cache import RedisCache


def test_cache_calls_share_one_client_per_pool():
    cache = RedisCache("redis://127.0.0.1:6379/15", {})
    client = cache._cache.get_client("a", write=True)
    assert cache._cache.get_client("b", write=False) is client  # one server: reads and writes share its pool
    assert client.connection_pool is cache._cache._get_connection_pool(True)
