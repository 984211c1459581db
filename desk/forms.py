"""Forms of the case screen. They only validate input; the services decide and act."""

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.forms.renderers import DjangoTemplates
from django.utils.formats import localize
from django.utils.html import conditional_escape

from cancellations.decisions import REJECTION_REASONS
from desk.models import Macro

REJECTION_LABELS = {
    "outside_policy": "Outside the cancellation policy",
    "already_fulfilled": "Already being fulfilled",
    "suspected_abuse": "Could not be verified",
    "final_sale": "Final-sale items",
    "customer_request": "Customer asked to keep the order",
    "other": "Other (explain in the message)",
}


def _attrs(attrs: dict) -> str:
    """django/forms/widgets/attrs.html: ` name="value"`, a bare name for True, nothing
    for False."""
    html = []
    for name, value in attrs.items():
        if value is False:
            continue
        html.append(f" {conditional_escape(name)}")
        if value is not True:
            html.append(f'="{conditional_escape(str(value))}"')
    return "".join(html)


def _input(widget: dict) -> str:
    value = widget["value"]
    shown = "" if value is None else f' value="{conditional_escape(str(value))}"'
    return (
        f'<input type="{conditional_escape(widget["type"])}" '
        f'name="{conditional_escape(widget["name"])}"{shown}{_attrs(widget["attrs"])}>'
    )


def _textarea(widget: dict) -> str:
    value = widget["value"]
    text = conditional_escape(localize(value)) if value else ""
    return (
        f'<textarea name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>\n'
        f"{text}</textarea>"
    )


def _select(widget: dict) -> str | None:
    html = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            return None  # not used on these screens: let the template do it
        for option in options:
            if option["template_name"] != "django/forms/widgets/select_option.html":
                return None
            html.append(
                f'\n  <option value="{conditional_escape(str(option["value"]))}"'
                f"{_attrs(option['attrs'])}>{conditional_escape(localize(option['label']))}"
                "</option>\n"  # the option template's own last line
            )
    html.append("\n</select>")
    return "".join(html)


_WIDGETS = {
    **{
        f"django/forms/widgets/{kind}.html": _input
        for kind in ("text", "number", "email", "url", "password", "hidden", "search")
    },
    "django/forms/widgets/textarea.html": _textarea,
    "django/forms/widgets/select.html": _select,
}


class ScreenRenderer(DjangoTemplates):
    """Django's own widget and error templates, written out in Python for the simple
    widgets of the back office's screens (text, number, textarea, select) and for the
    empty error list: rendered through templates each cost 0.1-0.5 ms (a select includes
    one template per option), a third of the case screen's rendering. The output is the
    same markup the templates give; anything else still goes through the templates."""

    def render(self, template_name, context, request=None):
        if template_name == "django/forms/errors/list/default.html" and not context["errors"]:
            return ""
        write = _WIDGETS.get(template_name)
        if write is not None:
            html = write(context["widget"])
            if html is not None:
                return html
        return super().render(template_name, context, request=request)


SCREEN_RENDERER = ScreenRenderer()


class CaseForm(forms.Form):
    """Every case form knows its case. (The page's `nonce`, which makes a repeated submit
    harmless, is read by the view, not by the forms.)"""

    default_renderer = SCREEN_RENDERER

    def __init__(self, *args, cancellation=None, **kwargs):
        self.cancellation = cancellation
        super().__init__(*args, **kwargs)


class ApproveForm(CaseForm):
    """One quantity per requested line (0 leaves it out); fewer units is a partial
    approval, more than the customer asked for is not offered."""

    note = forms.CharField(
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": "Optional: why (goes on the timeline)"}),
    )

    def __init__(self, *args, cancellation, **kwargs):
        super().__init__(*args, cancellation=cancellation, **kwargs)
        self.requested = {cl.line.external_id: cl for cl in cancellation.lines.all()}
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


class NoteForm(CaseForm):
    text = forms.CharField(
        label="Internal note",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "Only staff see this"}),
    )


class ContactForm(CaseForm):
    macro = forms.ModelChoiceField(
        queryset=Macro.objects.none(), required=False, empty_label="Write my own…"
    )
    subject = forms.CharField(max_length=200)
    body = forms.CharField(
        label="Message", max_length=5000, widget=forms.Textarea(attrs={"rows": 5})
    )

    def __init__(self, *args, cancellation, macros=None, **kwargs):
        super().__init__(*args, cancellation=cancellation, **kwargs)
        if self.is_bound or macros is None:
            # What a sent form may pick; a form only shown gets its menu from `macros`.
            self.fields["macro"].queryset = Macro.objects.filter(
                Q(retailer_id=cancellation.retailer_id) | Q(retailer__isnull=True), is_active=True
            )
        if macros is not None:
            self.fields["macro"].choices = [("", "Write my own…")] + [
                (macro["pk"], macro["name"]) for macro in macros
            ]


class ReassignForm(CaseForm):
    to = forms.ModelChoiceField(
        label="Give to",
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label="Nobody (back to the queue)",
    )

    def __init__(self, *args, cancellation, assignees=(), **kwargs):
        super().__init__(*args, cancellation=cancellation, **kwargs)
        self.fields["to"].queryset = get_user_model().objects.filter(
            pk__in=[user.pk for user in assignees]
        )
        self.fields["to"].choices = [("", "Nobody (back to the queue)")] + [
            (user.pk, user.get_username()) for user in assignees
        ]


class ManualRefundForm(CaseForm):
    reference = forms.CharField(
        label="Reference of the refund made outside Rescind",
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": "e.g. bank transfer 2026-11-26 #4471"}),
    )
    note = forms.CharField(required=False, max_length=500)


class EmptyForm(CaseForm):
    """Claim, release and retry need nothing but the click."""
