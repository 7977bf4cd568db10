"""PostgreSQL only: the audit table's append-only triggers fire whatever session_replication_role
says (ENABLE ALWAYS). Imports may set that parameter to `replica` to check the references they
write set-based rather than row by row (ADR 0014); an ordinary trigger would then not fire.
"""

from django.db import migrations

TABLE = "sumida_kokuho_auditevent"
TRIGGERS = (f"{TABLE}_append_only", f"{TABLE}_no_truncate")


def _alter(state):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for trigger in TRIGGERS:
            schema_editor.execute(f"ALTER TABLE {TABLE} ENABLE {state} TRIGGER {trigger}")

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("sumida_kokuho", "0004_audit_append_only_guard"),
    ]

    operations = [
        migrations.RunPython(_alter("ALWAYS"), _alter(""), elidable=False),
    ]
