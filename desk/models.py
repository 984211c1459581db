from django.db import models

from retailers.models import Retailer


class Macro(models.Model):
    """A canned reply agents send to customers from the case screen, per retailer.

    `subject` and `body` may name placeholders in braces, filled from the case when the
    agent picks the macro: {customer_name}, {order}, {retailer}, {refund_total},
    {refund_timeline}, {request}, {agent}. The agent can still edit the text before
    sending it.
    """

    retailer = models.ForeignKey(
        Retailer,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="Leave empty to offer the macro for every retailer.",
    )
    name = models.CharField(max_length=100)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        # The table keeps the name it had when macros lived in cancellations.
        db_table = "cancellations_macro"
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["retailer", "name"], name="macro_name_unique")
        ]

    def __str__(self):
        return self.name
