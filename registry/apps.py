from django.apps import AppConfig
from django.core import checks


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = "Registry"

    def ready(self) -> None:
        # Register the tasks in web processes too: the workflow queues them by name.
        from . import tasks  # noqa: F401
        from .fonts import check_cjk_font

        checks.register(check_cjk_font, "fonts")
