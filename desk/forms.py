"""The desk's forms and how they render. Forms only validate input; the services
decide and act. The case forms every kind shares are here; a kind's own are with it
(desk/<kind>/forms.py)."""

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.forms.renderers import DjangoTemplates
from django.utils.formats import localize
from django.utils.html import conditional_escape

from desk.models import Macro


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
    """Every case form knows its case, of whatever kind. (The page's `nonce`, which makes
    a repeated submit harmless, is read by the view, not by the forms.)"""

    default_renderer = SCREEN_RENDERER

    def __init__(self, *args, case=None, **kwargs):
        self.case = case
        super().__init__(*args, **kwargs)


class ContactForm(CaseForm):
    macro = forms.ModelChoiceField(
        queryset=Macro.objects.none(), required=False, empty_label="Write my own…"
    )
    subject = forms.CharField(max_length=200)
    body = forms.CharField(
        label="Message", max_length=5000, widget=forms.Textarea(attrs={"rows": 5})
    )

    def __init__(self, *args, case, macros=None, **kwargs):
        super().__init__(*args, case=case, **kwargs)
        if self.is_bound or macros is None:
            # What a sent form may pick; a form only shown gets its menu from `macros`.
            self.fields["macro"].queryset = Macro.objects.filter(
                Q(retailer_id=case.retailer_id) | Q(retailer__isnull=True), is_active=True
            )
        if macros is not None:
            self.fields["macro"].choices = [("", "Write my own…")] + [
                (macro["pk"], macro["name"]) for macro in macros
            ]


class NoteForm(CaseForm):
    text = forms.CharField(
        label="Internal note",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "Only staff see this"}),
    )


class ReassignForm(CaseForm):
    to = forms.ModelChoiceField(
        label="Give to",
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label="Nobody (back to the queue)",
    )

    def __init__(self, *args, case, assignees=(), **kwargs):
        super().__init__(*args, case=case, **kwargs)
        self.fields["to"].queryset = get_user_model().objects.filter(
            pk__in=[user.pk for user in assignees]
        )
        self.fields["to"].choices = [("", "Nobody (back to the queue)")] + [
            (user.pk, user.get_username()) for user in assignees
        ]


class EmptyForm(CaseForm):
    """Claim, release and retry need nothing but the click."""
