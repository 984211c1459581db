from django import forms


class ConfirmationForm(forms.Form):
    action = forms.ChoiceField(choices=[("confirm", "Confirm"), ("decline", "Decline")])


class ReturnStartForm(forms.Form):
    """The customer's return: units per line (fields `qty_<line>`, `sku_<line>` added per
    order line by the view), a reason and a resolution."""

    REASONS = [
        ("changed_mind", "I changed my mind"),
        ("ordered_by_mistake", "I ordered it by mistake"),
        ("found_better_price", "I found a better price"),
        ("defective", "It is defective"),
        ("damaged_in_transit", "It arrived damaged"),
        ("wrong_item_sent", "You sent the wrong item"),
        ("not_as_described", "It is not as described"),
        ("other", "Another reason"),
    ]
    reason = forms.ChoiceField(choices=REASONS)
    resolution = forms.ChoiceField(
        choices=[
            ("refund", "A refund to the way I paid"),
            ("store_credit", "Store credit"),
            ("exchange", "An exchange"),
        ],
        widget=forms.RadioSelect,
        initial="refund",
    )
    note = forms.CharField(
        max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, lines=(), exchanges_allowed=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.returnable_lines = list(lines)
        if not exchanges_allowed:
            self.fields["resolution"].choices = self.fields["resolution"].choices[:2]
        for line, left in self.returnable_lines:
            self.fields[f"qty_{line.pk}"] = forms.IntegerField(
                min_value=0, max_value=left, initial=0, required=False, label=line.title or line.sku
            )
            self.fields[f"sku_{line.pk}"] = forms.CharField(
                max_length=100, required=False, initial=line.sku, label="Exchange for"
            )

    def rows(self):
        """(line, units left, quantity field, exchange SKU field) per returnable line."""
        return [
            (line, left, self[f"qty_{line.pk}"], self[f"sku_{line.pk}"])
            for line, left in self.returnable_lines
        ]

    def clean(self):
        data = super().clean()
        picked = [
            (line, data.get(f"qty_{line.pk}") or 0, (data.get(f"sku_{line.pk}") or line.sku))
            for line, _left in self.returnable_lines
        ]
        picked = [(line, units, sku) for line, units, sku in picked if units]
        if not picked:
            raise forms.ValidationError("Choose at least one item to return.")
        data["picked"] = picked
        return data
