from django.core.management.base import BaseCommand, CommandError

from kernel.money import is_currency
from retailers.models import Retailer
from retailers.services import retailer_create


class Command(BaseCommand):
    help = "Create a retailer (a client of the BPO) with the default policy."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--name", required=True)
        parser.add_argument("--currency", default="USD")

    def handle(self, *args, slug, name, currency, **options):
        currency = currency.upper()
        if not is_currency(currency):
            raise CommandError(f"{currency!r} is not an ISO 4217 currency code.")
        if Retailer.objects.filter(slug=slug).exists():
            raise CommandError(f"A retailer {slug!r} already exists.")
        retailer = retailer_create(slug=slug, name=name, currency=currency)
        self.stdout.write(f"Created retailer {retailer.slug} ({retailer.name}, {currency}).")
