from django.apps import AppConfig


class VerificationConfig(AppConfig):
    name = "verification"
    verbose_name = "Verification"

    def ready(self) -> None:
        # Register the tasks in web processes too: the workflow queues them by name.
        from . import tasks  # noqa: F401
