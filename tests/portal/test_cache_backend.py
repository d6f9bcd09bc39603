"""portal.cache.RedisCache: one redis-py client per connection pool, not one per cache call."""

from portal.cache import RedisCache


def test_cache_calls_share_one_client_per_pool():
    cache = RedisCache("redis://127.0.0.1:6379/15", {})
    client = cache._cache.get_client("a", write=True)
    assert cache._cache.get_client("b", write=False) is client  # one server: reads and writes share its pool
    assert client.connection_pool is cache._cache._get_connection_pool(True)


def test_the_window_counter_counts_in_one_round_trip_and_expires_from_its_first_count():
    import fakeredis

    from portal.cache import window_count

    server = fakeredis.FakeServer()
    client = fakeredis.FakeRedis(server=server)
    sent = []
    original = client.pipeline

    def pipeline(**kwargs):
        pipe = original(**kwargs)
        execute = pipe.execute
        pipe.execute = lambda *a, **k: sent.append(len(pipe.command_stack)) or execute(*a, **k)
        return pipe

    client.pipeline = pipeline
    assert [window_count(client, "k", 60) for _ in range(3)] == [1, 2, 3]
    assert sent == [2, 2, 2]  # one pipelined round trip a count
    assert 58 <= client.ttl("k") <= 60  # set by the first count, not renewed by later ones
    client.expire("k", 1)
    window_count(client, "k", 60)
    assert client.ttl("k") <= 1
    client.delete("k")  # the window ended: the next count starts a new one
    assert window_count(client, "k", 60) == 1 and client.ttl("k") > 50


def test_the_rate_limit_counts_per_window_with_the_local_cache_too(settings):
    """Without Redis (no REDIS_URL) the throttle counts with add and incr of the local cache."""
    from portal.api.throttling import ApiKeyRateThrottle

    throttle = ApiKeyRateThrottle()
    assert [throttle.count("throttle:test:window", 60) for _ in range(3)] == [1, 2, 3]
