import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    """IdempotencyKey, moved from cancellations with its table (state only)."""

    dependencies = [
        ("cancellations", "0006_idempotency_key_moves_to_retailers"),
        ("retailers", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="IdempotencyKey",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("key", models.CharField(max_length=255)),
                        ("method", models.CharField(max_length=8)),
                        ("path", models.CharField(max_length=255)),
                        ("request_hash", models.CharField(max_length=64)),
                        ("response_status", models.PositiveSmallIntegerField(null=True)),
                        ("response_body", models.JSONField(null=True)),
                        ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                        ("retailer", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="retailers.retailer")),
                    ],
                    options={
                        "db_table": "cancellations_idempotencykey",
                        "constraints": [models.UniqueConstraint(fields=("retailer", "key"), name="idempotency_key_unique")],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
