from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class SumidaKokuhoConfig(AppConfig):
    """Cross-cutting pieces: audit events, API tokens, the base layout, system checks."""

    name = "sumida_kokuho"
    verbose_name = _("Sumida Kokuho")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from sumida_kokuho import checks  # noqa: F401 (registers the system checks)
        from sumida_kokuho.roles import sync_roles_after_migrate

        # Every migrate (and every test database) ends with the role groups in place.
        post_migrate.connect(sync_roles_after_migrate, dispatch_uid="sumida_kokuho.roles")


class StaffAdminConfig(AdminConfig):
    """django.contrib.admin with a default site that requires the staff second factor."""

    default_site = "sumida_kokuho.access.StaffAdminSite"
