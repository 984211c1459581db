"""The forms of a cancellation request's own actions (the shared ones are desk.forms)."""

from django import forms

from cancellations.decisions import REJECTION_REASONS
from desk.forms import CaseForm

REJECTION_LABELS = {
    "outside_policy": "Outside the cancellation policy",
    "already_fulfilled": "Already being fulfilled",
    "suspected_abuse": "Could not be verified",
    "final_sale": "Final-sale items",
    "customer_request": "Customer asked to keep the order",
    "other": "Other (explain in the message)",
}


class ApproveForm(CaseForm):
    """One quantity per requested line (0 leaves it out); fewer units is a partial
    approval, more than the customer asked for is not offered."""

    note = forms.CharField(
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": "Optional: why (goes on the timeline)"}),
    )

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, case=case, **kwargs)
        self.requested = {cl.line.external_id: cl for cl in case.lines.all()}
        for external_id, cl in self.requested.items():
            self.fields[self.field_name(external_id)] = forms.IntegerField(
                min_value=0,
                max_value=cl.quantity,
                initial=cl.quantity,
                label=cl.line.sku,
                widget=forms.NumberInput(attrs={"class": "qty", "form": "approve-form"}),
            )

    @staticmethod
    def field_name(external_id: str) -> str:
        return f"qty_{external_id}"

    def clean(self):
        cleaned = super().clean()
        quantities = {
            external_id: cleaned.get(self.field_name(external_id)) for external_id in self.requested
        }
        if any(q is None for q in quantities.values()):
            return cleaned
        if not any(quantities.values()):
            raise forms.ValidationError(
                "Nothing left to cancel: to keep the whole order, reject the request."
            )
        cleaned["quantities"] = quantities
        return cleaned

    def lines(self) -> list[dict] | None:
        """What to pass to `cancellation_approve`: None when nothing was edited."""
        quantities = self.cleaned_data["quantities"]
        if all(q == self.requested[ext].quantity for ext, q in quantities.items()):
            return None
        return [{"line": ext, "quantity": q} for ext, q in quantities.items() if q]


class RejectForm(CaseForm):
    reason_code = forms.ChoiceField(
        label="Reason",
        choices=[("", "Pick a reason…")]
        + [(code, REJECTION_LABELS[code]) for code in REJECTION_REASONS],
    )
    message = forms.CharField(
        label="Message to the customer",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class EscalateForm(CaseForm):
    note = forms.CharField(
        label="Note for the supervisor",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RequireReturnForm(CaseForm):
    note = forms.CharField(
        label="Why a return",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class WithdrawForm(CaseForm):
    why = forms.CharField(
        label="What the customer said",
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": "e.g. Customer called: keep the order"}),
    )


class WarehouseAnswerForm(CaseForm):
    """What the warehouse said (on the phone, by e-mail) to our request to stop."""

    answer = forms.ChoiceField(
        label="The warehouse",
        choices=[
            ("stopped", "Stopped the order: refund it"),
            ("too_late", "Could not stop it: it comes back as a return"),
        ],
        widget=forms.RadioSelect,
    )
    message = forms.CharField(
        label="What it said",
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": "e.g. Dana at the east depot: pulled it"}),
    )


class ManualRefundForm(CaseForm):
    reference = forms.CharField(
        label="Reference of the refund made outside Rescind",
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": "e.g. bank transfer 2026-11-26 #4471"}),
    )
    note = forms.CharField(required=False, max_length=500)
