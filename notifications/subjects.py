"""What an event is about, as notifications needs to know it: registered by each domain.

Notifications sits below the domains that tell customers and retailers about changes,
so it knows their objects only through this registry. Each domain app registers its
subject models once (in AppConfig.ready):

- `data(obj) -> dict`: the object's one public shape, the `data` of its webhooks (the
  same function its API renders);
- `context(obj, *, event_type, language) -> dict`: what a message template about it may
  print, as plain data (templates are edited in admin: no model instances);
- `related`: what to read with it when a message about it is rendered later;
- `sample`: made-up template variables, for previews in admin;
- `events`: the prefix of the event types about it (`cancellation.`), for previews.
"""

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Subject:
    model: str  # "app_label.modelname"
    data: Callable[[object], dict]
    context: Callable[..., dict] | None = None
    related: tuple[str, ...] = ()
    sample: dict = field(default_factory=dict)
    events: str = ""

    @property
    def model_name(self) -> str:
        return self.model.rsplit(".", 1)[1]


_subjects: dict[str, Subject] = {}


def subject_register(
    *,
    model: str,
    data: Callable[[object], dict],
    context: Callable[..., dict] | None = None,
    related: tuple[str, ...] = (),
    sample: dict | None = None,
    events: str = "",
) -> None:
    subject = Subject(
        model=model.lower(),
        data=data,
        context=context,
        related=related,
        sample=sample or {},
        events=events,
    )
    _subjects[subject.model_name] = subject


def subject_for(model_name: str) -> Subject | None:
    """The registered subject for a model name (`cancellationrequest`), or None."""
    return _subjects.get(model_name)


def subject_of(instance) -> Subject | None:
    return _subjects.get(instance._meta.model_name) if instance is not None else None


def subject_for_event(event_type: str) -> Subject | None:
    """The subject whose events `event_type` is one of (for previews)."""
    for subject in _subjects.values():
        if subject.events and event_type.startswith(subject.events):
            return subject
    return None


def subject_context(instance, *, event_type: str, language: str) -> dict:
    """The template variables of a registered subject (empty for anything else)."""
    subject = subject_of(instance)
    if subject is None or subject.context is None:
        return {}
    return subject.context(instance, event_type=event_type, language=language)


def subjects_samples() -> dict:
    """Every subject's sample variables, merged, for a preview without real data."""
    merged = {}
    for subject in _subjects.values():
        merged.update(subject.sample)
    return merged
