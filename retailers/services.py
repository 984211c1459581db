"""Writes for retailers: onboarding, API keys, policy versions, staff."""

import re
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils import timezone

from retailers.models import ApiKey, Policy, Retailer, StaffMember, hash_api_key


def retailer_create(*, slug: str, name: str, currency: str = "USD", **fields) -> Retailer:
    """A new client, with version 1 of the default policy."""
    with transaction.atomic():
        retailer = Retailer.objects.create(slug=slug, name=name, currency=currency, **fields)
        Policy.objects.create(retailer=retailer, version=1, created_by="system")
    return retailer


def api_key_create(*, retailer: Retailer, name: str = "storefront") -> tuple[ApiKey, str]:
    """Returns the key row and the key itself, which is never stored nor shown again."""
    key = ApiKey.generate()
    api_key = ApiKey.objects.create(
        retailer=retailer, name=name, prefix=key[:10], key_hash=hash_api_key(key)
    )
    return api_key, key


def api_key_revoke(*, api_key: ApiKey) -> None:
    ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


def policy_current(*, retailer: Retailer) -> Policy:
    policy = Policy.objects.filter(retailer=retailer).order_by("-version").first()
    if policy is None:  # a retailer made outside retailer_create
        policy, _ = Policy.objects.get_or_create(retailer=retailer, version=1)
    return policy


def policy_update(*, retailer: Retailer, values: dict, created_by: str) -> Policy:
    """Save `values` as the next version; absent fields take their defaults."""
    with transaction.atomic():
        # Lock the retailer so two edits never claim the same version number.
        Retailer.objects.select_for_update().filter(pk=retailer.pk).first()
        latest = Policy.objects.filter(retailer=retailer).order_by("-version").first()
        fields = {k: v for k, v in values.items() if k in Policy.EDITABLE_FIELDS}
        return Policy.objects.create(
            retailer=retailer,
            version=(latest.version if latest else 0) + 1,
            created_by=created_by,
            **fields,
        )


ROLE_GROUPS = {
    StaffMember.Role.AGENT: "Agents",
    StaffMember.Role.SUPERVISOR: "Supervisors",
    StaffMember.Role.RETAILER_MANAGER: "Retailer managers",
    StaffMember.Role.WAREHOUSE: "Warehouse clerks",
}


def _role_group(role: str) -> Group:
    group, _ = Group.objects.get_or_create(name=ROLE_GROUPS[role])
    if role == StaffMember.Role.SUPERVISOR:
        supervisor_permissions_sync(group=group)
    return group


def supervisor_permissions_sync(*, group: Group | None = None) -> None:
    """Supervisors run the operation from admin: every permission on the product's
    models. Run after every migrate too, so a model added (or moved to another app)
    later is theirs without re-creating their logins."""
    if group is None:
        group = Group.objects.filter(name=ROLE_GROUPS[StaffMember.Role.SUPERVISOR]).first()
        if group is None:
            return
    group.permissions.set(
        Permission.objects.filter(content_type__app_label__in=settings.PRODUCT_APPS)
    )


def staff_create(
    *, username: str, role: str, password: str, retailers=(), email: str = ""
) -> StaffMember:
    """Create or update a BPO user with a role; a supervisor serves every retailer."""
    user_model = get_user_model()
    with transaction.atomic():
        user, _ = user_model.objects.get_or_create(username=username, defaults={"email": email})
        user.set_password(password)
        user.is_staff = role == StaffMember.Role.SUPERVISOR  # admin is for supervisors
        user.save()
        member, _ = StaffMember.objects.update_or_create(user=user, defaults={"role": role})
        member.retailers.set(retailers)
        user.groups.set([_role_group(role)])
    return member


def staff_update(
    *, member: StaffMember, role: str, retailers=(), is_active: bool = True, password: str = ""
) -> StaffMember:
    """Change a BPO user's role, the retailers they serve and whether they may sign in;
    a new password when one is given. Admin access follows the role, as at creation."""
    with transaction.atomic():
        user = member.user
        if password:
            user.set_password(password)
        user.is_active = is_active
        user.is_staff = role == StaffMember.Role.SUPERVISOR
        user.save()
        member.role = role
        member.save(update_fields=["role"])
        member.retailers.set(retailers)
        user.groups.set([_role_group(role)])
    return member


# --- Shopify (SPEC §12) ------------------------------------------------------------------

SHOP_DOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)+$")
# How long the previous signing secret is still accepted after a new one is set.
SECRET_ROTATION = timedelta(days=7)


def shop_domain_clean(value: str) -> str:
    """`Acme.myshopify.com`, `https://acme.myshopify.com/` -> `acme.myshopify.com`."""
    domain = (value or "").strip().lower()
    for prefix in ("https://", "http://"):
        domain = domain.removeprefix(prefix)
    domain = domain.rstrip("/")
    if not SHOP_DOMAIN.match(domain) or len(domain) > 255:
        raise ValueError(f"{value!r} is not a shop domain (e.g. acme.myshopify.com)")
    return domain


def shopify_connect(
    *,
    retailer: Retailer,
    shop_domain: str,
    secret: str = "",
    admin_token: str | None = None,
    keep_previous: bool = True,
    now=None,
):
    """Connect (or re-configure) the retailer's Shopify shop.

    A new `secret` replaces the signing secret; with `keep_previous` the old one is
    still accepted for `SECRET_ROTATION` (Shopify may have signed deliveries in flight
    with it). `admin_token` None leaves the stored token as it is. Connected shops
    refund through Shopify and ask its 3PL to stop through fulfilment orders.
    """
    from retailers.models import ShopifyConnection
    from retailers.secrets import secret_fingerprint, secret_seal

    domain = shop_domain_clean(shop_domain)
    now = now or timezone.now()
    with transaction.atomic():
        connection = ShopifyConnection.objects.select_for_update().filter(
            retailer=retailer
        ).first() or ShopifyConnection(retailer=retailer)
        if not connection.pk and not secret:
            raise ValueError("a new connection needs the webhook signing secret")
        connection.shop_domain = domain
        if secret and secret_fingerprint(secret) != connection.webhook_secret_fingerprint:
            if connection.webhook_secret_sealed and keep_previous:
                connection.previous_secret_sealed = connection.webhook_secret_sealed
                connection.previous_secret_fingerprint = connection.webhook_secret_fingerprint
                connection.previous_secret_expires_at = now + SECRET_ROTATION
            else:
                connection.previous_secret_sealed = ""
                connection.previous_secret_fingerprint = ""
                connection.previous_secret_expires_at = None
            connection.webhook_secret_sealed = secret_seal(secret)
            connection.webhook_secret_fingerprint = secret_fingerprint(secret)
        if admin_token is not None:
            connection.admin_token_sealed = secret_seal(admin_token)
            connection.admin_token_fingerprint = secret_fingerprint(admin_token)
        connection.is_active = True
        connection.save()
        Retailer.objects.filter(pk=retailer.pk).update(
            gateway=Retailer.Gateway.SHOPIFY, fulfillment=Retailer.Fulfillment.SHOPIFY
        )
        retailer.gateway = Retailer.Gateway.SHOPIFY
        retailer.fulfillment = Retailer.Fulfillment.SHOPIFY
    return connection


def shopify_rotation_finish(*, connection) -> None:
    """Stop accepting the previous signing secret now."""
    type(connection).objects.filter(pk=connection.pk).update(
        previous_secret_sealed="", previous_secret_fingerprint="", previous_secret_expires_at=None
    )
