from django.db import migrations


class Migration(migrations.Migration):
    """Macros belong to the desk now: the model leaves this app's state, the table stays."""

    dependencies = [
        ("cancellations", "0004_queue_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Macro")],
            database_operations=[],
        ),
    ]
