"""Canned replies every retailer starts with; supervisors edit or add theirs in admin."""

from django.db import migrations

SIGNATURE = "\n\n{agent}\n{retailer} customer care"

DEFAULT_MACROS = [
    (
        "Please confirm the cancellation",
        "Please confirm the cancellation of order {order}",
        "Hi {customer_name},\n\nWe received your request to cancel order {order}. Before we "
        "go ahead we need your confirmation: please use the link in our earlier e-mail, or "
        "simply reply to this message." + SIGNATURE,
    ),
    (
        "Refund on its way",
        "Your refund for order {order}",
        "Hi {customer_name},\n\nYour cancellation of order {order} is approved. {refund_total} "
        "goes back to your original payment method and usually shows within "
        "{refund_timeline}." + SIGNATURE,
    ),
    (
        "Already shipped: return instead",
        "About cancelling order {order}",
        "Hi {customer_name},\n\nOrder {order} has already left our warehouse, so it can no "
        "longer be cancelled. Once it arrives you can send it back, and we refund you as soon "
        "as it reaches us." + SIGNATURE,
    ),
    (
        "More information needed",
        "Your cancellation request for order {order}",
        "Hi {customer_name},\n\nWe are looking at your request to cancel order {order} and "
        "need a little more information before we can decide. Could you reply with the items "
        "concerned and why you would like to cancel them?" + SIGNATURE,
    ),
]


def create(apps, schema_editor):
    Macro = apps.get_model("cancellations", "Macro")
    for name, subject, body in DEFAULT_MACROS:
        if not Macro.objects.filter(retailer__isnull=True, name=name).exists():
            Macro.objects.create(retailer=None, name=name, subject=subject, body=body)


def remove(apps, schema_editor):
    Macro = apps.get_model("cancellations", "Macro")
    Macro.objects.filter(retailer__isnull=True, name__in=[m[0] for m in DEFAULT_MACROS]).delete()


class Migration(migrations.Migration):
    dependencies = [("cancellations", "0002_macro")]

    operations = [migrations.RunPython(create, remove)]
