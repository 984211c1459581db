"""Who is looking at the desk, what they may see, and the one way a screen gets a case.

Every read of the desk is scoped by the viewer's retailers first: a case of a retailer
they do not serve is a 404, never a 403, so its existence does not leak (SPEC §1).
That holds before any role check, for every action: a retailer manager posting an
action on another retailer's case is told 404, on their own retailer's case 403.
"""

from dataclasses import dataclass
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404

from desk.kinds import case_kind
from kernel.actors import Actor
from kernel.errors import NotFound
from retailers.models import Retailer, StaffMember


@dataclass(frozen=True)
class Viewer:
    """A signed-in BPO user, their role and the retailers they serve (None: all).
    `active_retailers` are those of them open for business, as (pk, name) by name, when
    they were read with the role (None: not read)."""

    user: object
    role: str
    retailer_ids: frozenset | None
    active_retailers: tuple | None = None

    @property
    def is_supervisor(self) -> bool:
        return self.role == StaffMember.Role.SUPERVISOR

    @property
    def is_agent(self) -> bool:
        return self.role == StaffMember.Role.AGENT

    @property
    def read_only(self) -> bool:
        return self.role == StaffMember.Role.RETAILER_MANAGER

    def scope(self, queryset, field: str = "retailer_id"):
        if self.retailer_ids is None:
            return queryset
        return queryset.filter(**{f"{field}__in": self.retailer_ids})


def viewer_for(user) -> Viewer | None:
    """The viewer for `user`, or None when they are not BPO staff at all.

    One query, on every back-office request: the role with each retailer served (one
    row per retailer, or one row of None for a supervisor or someone serving none)."""
    if not user.is_authenticated:
        return None
    rows = list(
        StaffMember.objects.filter(user=user)
        .order_by("retailers__name", "retailers__pk")
        .values_list("role", "retailers__pk", "retailers__name", "retailers__is_active")
    )
    if not rows:
        if user.is_superuser:  # an operator made with createsuperuser
            return Viewer(user=user, role=StaffMember.Role.SUPERVISOR, retailer_ids=None)
        return None
    role = rows[0][0]
    if role == StaffMember.Role.SUPERVISOR or user.is_superuser:
        return Viewer(user=user, role=StaffMember.Role.SUPERVISOR, retailer_ids=None)
    return Viewer(
        user=user,
        role=role,
        retailer_ids=frozenset(pk for _role, pk, _name, _active in rows if pk is not None),
        active_retailers=tuple((pk, name) for _role, pk, name, active in rows if active),
    )


def retailers_for(viewer: Viewer):
    return viewer.scope(Retailer.objects.filter(is_active=True), field="pk").order_by("name")


def retailer_choices(viewer: Viewer) -> list[tuple[int, str]]:
    """(pk, name) of the active retailers the viewer serves, by name: read with the
    viewer when it could be, else in one query."""
    if viewer.active_retailers is not None:
        return list(viewer.active_retailers)
    return list(retailers_for(viewer).values_list("pk", "name"))


def case_for_viewer(viewer: Viewer, pk: int, *, kind: str = "cancellation", for_update=False):
    """The case `pk` of `kind` if the viewer serves its retailer, optionally locked;
    otherwise 404."""
    try:
        return case_kind(kind).get(pk=pk, retailer_ids=viewer.retailer_ids, for_update=for_update)
    except NotFound as missing:
        raise Http404(missing.detail) from missing


def staff_required(view):
    """Signed-in BPO staff only; `request.viewer` says who they are and what they serve."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        viewer = viewer_for(request.user)
        if viewer is None:
            raise PermissionDenied("This screen is for BPO staff.")
        request.viewer = viewer
        return view(request, *args, **kwargs)

    return wrapper


def acting(request) -> Actor:
    """The viewer as the actor of a change; retailer managers only read."""
    if request.viewer.read_only:
        raise PermissionDenied("Retailer managers can read cases but not act on them.")
    return Actor.for_user(request.user)
