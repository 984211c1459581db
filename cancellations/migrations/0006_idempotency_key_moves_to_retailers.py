from django.db import migrations


class Migration(migrations.Migration):
    """Idempotency keys are per-retailer API state that every POST endpoint shares: the
    model leaves this app's state for retailers', the table stays."""

    dependencies = [
        ("cancellations", "0005_macro_moves_to_desk"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="IdempotencyKey")],
            database_operations=[],
        ),
    ]
