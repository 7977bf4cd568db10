from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SumidaKokuhoConfig(AppConfig):
    """Cross-cutting pieces: audit events, API tokens, the base layout, system checks."""

    name = "sumida_kokuho"
    verbose_name = _("Sumida Kokuho")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from sumida_kokuho import checks  # noqa: F401 (registers the system checks)
