import sys

from django.core.management.base import BaseCommand, CommandError

from retailers.models import Retailer
from retailers.services import shopify_connect


class Command(BaseCommand):
    help = (
        "Connect a retailer's Shopify shop (SPEC §12): its domain and webhook signing "
        "secret (`-` reads it from standard input, out of the process list). A new secret "
        "on a connected shop starts a rotation: the old one is accepted for 7 more days."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--shop", required=True, help="e.g. acme.myshopify.com")
        parser.add_argument("--secret", required=True, help="the webhook signing secret, or -")
        parser.add_argument(
            "--admin-token",
            default=None,
            help="Admin API access token for refunds and fulfilment requests (or -)",
        )
        parser.add_argument(
            "--no-rotation",
            action="store_true",
            help="drop the previous secret at once instead of accepting it for 7 days",
        )

    def handle(self, *args, slug, shop, secret, admin_token, no_rotation, **options):
        retailer = Retailer.objects.filter(slug=slug).first()
        if retailer is None:
            raise CommandError(f"No retailer {slug!r}.")
        if secret == "-":
            secret = sys.stdin.readline().strip()
        if admin_token == "-":
            admin_token = sys.stdin.readline().strip()
        if not secret:
            raise CommandError("The webhook signing secret is empty.")
        try:
            connection = shopify_connect(
                retailer=retailer,
                shop_domain=shop,
                secret=secret,
                admin_token=admin_token,
                keep_previous=not no_rotation,
            )
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"{retailer.slug} is connected to {connection.shop_domain} "
            f"(secret {connection.webhook_secret_fingerprint}"
            + (
                f"; previous {connection.previous_secret_fingerprint} accepted until "
                f"{connection.previous_secret_expires_at:%Y-%m-%d %H:%M} UTC"
                if connection.previous_secret_sealed
                else ""
            )
            + "). Shopify posts to /connectors/shopify/webhooks."
        )
