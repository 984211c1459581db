from rest_framework import serializers

from kernel.serializers import StrictSerializer
from notifications.events import EVENT_TYPES


class WebhookEndpointInput(StrictSerializer):
    url = serializers.URLField(max_length=500)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EVENT_TYPES),
        required=False,
        default=list,
        help_text="Event types to receive; absent or empty: every event.",
    )

    def validate_url(self, value):
        if not value.lower().startswith(("http://", "https://")):
            raise serializers.ValidationError("Use an http or https URL.")
        return value


class WebhookEndpointOutput(serializers.Serializer):
    """An endpoint as listed: the signing secret is shown only when it is created."""

    id = serializers.IntegerField()
    url = serializers.URLField()
    events = serializers.ListField(child=serializers.CharField())
    is_active = serializers.BooleanField()
    disabled_reason = serializers.CharField()
    created_at = serializers.DateTimeField()


class WebhookEndpointCreated(WebhookEndpointOutput):
    secret = serializers.CharField(
        help_text="Signing secret for `Rescind-Signature`; shown once, store it now."
    )
