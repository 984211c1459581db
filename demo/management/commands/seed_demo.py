import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from demo.world import seed


class Command(BaseCommand):
    help = "Load the demo data of `make run` (idempotent) and print the logins and API keys."

    def add_arguments(self, parser):
        parser.add_argument("--orders", type=int, default=180, help="Orders per retailer.")
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="Where it is served.")

    def handle(self, *args, orders, url, **options):
        if not settings.DEMO_DATA_ALLOWED:
            # It creates staff with a published password and API keys printed in the
            # README: never on a deployment.
            raise CommandError(
                "seed_demo creates known passwords and API keys; it does not run under "
                "production settings."
            )
        # Progress bars redraw one line, so they go to the raw stream, not OutputWrapper.
        logins = seed(orders_per_retailer=orders, out=sys.stdout)
        self.stdout.write(f"\nRescind is ready on {url}")
        self.stdout.write(f"  Staff sign in at /accounts/login/ (password {logins['password']!r}):")
        for username, role, slugs in logins["staff"]:
            serves = "all retailers" if role == "supervisor" else ", ".join(slugs)
            self.stdout.write(f"    {username:<11} {role:<17} {serves}")
        self.stdout.write("  Storefront API keys (Authorization: Bearer <key>):")
        for slug, key in logins["keys"]:
            self.stdout.write(f"    {slug:<6} {key}")
        shopify = logins["shopify"]
        self.stdout.write(
            f"  Shopify webhooks for {shopify['shop']} ({shopify['slug']}): POST "
            f"{url}/connectors/shopify/webhooks, signing secret {shopify['secret']} "
            "(docs/connectors.md)"
        )
        self.stdout.write(f"  API docs: {url}/api/docs/")
