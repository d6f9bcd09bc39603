import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.base")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.task_prerun.connect
def _bind_task_id(task_id=None, **_kwargs) -> None:
    """Log lines written by a task carry its id as their request id (portal/logs.py)."""
    from portal.logs import bind_task_id

    bind_task_id(task_id)


@signals.celeryd_init.connect
def _serve_metrics(**_kwargs) -> None:
    """METRICS_PORT: a worker host without web processes serves /metrics of all its processes itself
    (needs PROMETHEUS_MULTIPROC_DIR, shared by the worker's child processes)."""
    port = os.environ.get("METRICS_PORT")
    if not port:
        return
    from prometheus_client import REGISTRY, CollectorRegistry, multiprocess, start_http_server

    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    start_http_server(int(port), addr=os.environ.get("METRICS_ADDR", "127.0.0.1"), registry=registry)
