"""The screens' forms render through `ScreenRenderer`, which writes the simple widgets in
Python: an agent must get exactly the markup Django's own widget templates give."""

# ruff: noqa: F811 (fixtures imported from backoffice_fixtures are used as arguments)

import pytest
from django.forms.renderers import DjangoTemplates
from django.test import RequestFactory

from cancellations.models import CancellationRequest
from desk.access import viewer_for
from desk.cancellations.kind import KIND
from desk.cancellations.screen import FORMS
from desk.cancellations.selectors import case_load
from desk.filters import QueueFilter
from desk.forms import SCREEN_RENDERER
from desk.models import Macro
from desk.tests.backoffice_fixtures import open_case, staff  # noqa: F401

pytestmark = pytest.mark.django_db

TYPED = {
    "note": "a <b>\"quoted\"</b> & 'note'",
    "qty_l1": "7",
    "reason_code": "other",
    "message": "line one\nline <two>",
    "why": "",
    "subject": "Re: <order>",
    "body": "&amp; already escaped?",
    "to": "not a user",
    "macro": "",
    "text": "x" * 5000,
}


def _same_markup(form):
    """Every field and its errors, by the screen renderer and by Django's templates."""
    templates = DjangoTemplates()
    for field in form:
        form.renderer = SCREEN_RENDERER
        fast = (str(field), str(field.errors))
        form.renderer = templates
        slow = (str(field), str(field.errors))
        assert fast == slow, field.name


def test_case_forms_render_as_djangos_templates_would(open_case, retailer):
    case = open_case("ord-1", lines=(("l1", "TEE", 3, "10.00"), ("l2", "CAP", 1, "22.00")))
    Macro.objects.create(retailer=retailer, name="Sorry <&>", subject="s", body="b")
    agent = staff("ana", "agent", [retailer]).user
    cancellation = case_load(viewer_for(agent), case.pk)
    assignees = [agent]

    for name, form_class in FORMS.items():
        kwargs = {"case": cancellation}
        if name == "reassign":
            kwargs["assignees"] = assignees
        if name == "contact":
            kwargs["macros"] = [{"pk": 1, "name": "Sorry <&>"}]
        blank = form_class(**kwargs)
        typed = form_class(TYPED, **kwargs)
        typed.is_valid()

        _same_markup(blank)
        _same_markup(typed)

    assert "selected>Other (explain in the message)</option>" in str(
        FORMS["reject"](TYPED, case=cancellation)["reason_code"]
    )


def test_the_queue_filters_render_as_djangos_templates_would(open_case, retailer):
    open_case()
    agent = staff("ana", "agent", [retailer]).user
    request = RequestFactory().get("/queue/", {"q": '"><script>', "reason": "changed_mind"})
    request.user, request.viewer = agent, viewer_for(agent)

    filterset = QueueFilter(
        request.GET, queryset=CancellationRequest.objects.all(), request=request, kind=KIND
    )
    filterset.is_valid()

    _same_markup(filterset.form)
    assert 'value="&quot;&gt;&lt;script&gt;"' in str(filterset.form["q"])


def test_screen_dates_read_as_djangos_date_filter_writes_them():
    from datetime import UTC, datetime, timedelta

    from django.template.defaultfilters import date

    from desk.templatetags.desk import format_moment

    start = datetime(2026, 1, 1, 0, 0, 5, tzinfo=UTC)
    formats = ["D j M Y, H:i", "D j M, H:i", "j M Y, H:i", "D j M Y, H:i:s", "j M, H:i", "j M"]
    for hours in range(0, 24 * 400, 7):
        moment = start + timedelta(hours=hours, minutes=hours % 60)
        for format_string in formats:
            assert format_moment(moment, format_string) == date(moment, format_string)
    assert format_moment(start, "N jS") == date(start, "N jS")  # not ours: the filter's
    assert format_moment(None, "j M") == ""
    assert format_moment("not a date", "j M") == date("not a date", "j M") == ""
    assert format_moment(start.date(), "j M Y") == date(start.date(), "j M Y")
