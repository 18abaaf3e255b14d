from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = "Registry"

    def ready(self) -> None:
        # Register the tasks in web processes too: the workflow queues them by name.
        from . import tasks  # noqa: F401
