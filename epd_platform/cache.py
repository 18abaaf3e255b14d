"""Django's Redis cache (settings.CACHES with REDIS_URL), sharing its Redis database with the Celery broker."""

from django.core.cache.backends.redis import RedisCache


class SharedRedisCache(RedisCache):
    """clear() deletes this cache's keys only: Django's flushes the whole database, which would take the
    broker's queues and bindings with it."""

    def clear(self) -> bool:
        client = self._cache.get_client(write=True)
        pattern = self.make_key("*").split(":", 1)[0] + ":*"  # KEY_PREFIX, then any version and key
        for keys in _batches(client.scan_iter(match=pattern, count=1000)):
            client.delete(*keys)
        return True


def _batches(iterable, size: int = 1000):
    batch = []
    for item in iterable:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
