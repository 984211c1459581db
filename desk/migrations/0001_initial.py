import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    """The Macro model, moved from cancellations with its table (state only)."""

    initial = True

    dependencies = [
        ("cancellations", "0005_macro_moves_to_desk"),
        ("retailers", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Macro",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("name", models.CharField(max_length=100)),
                        ("subject", models.CharField(max_length=200)),
                        ("body", models.TextField()),
                        ("is_active", models.BooleanField(default=True)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        ("retailer", models.ForeignKey(blank=True, help_text="Leave empty to offer the macro for every retailer.", null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="retailers.retailer")),
                    ],
                    options={
                        "db_table": "cancellations_macro",
                        "ordering": ["name", "id"],
                        "constraints": [models.UniqueConstraint(fields=("retailer", "name"), name="macro_name_unique")],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
