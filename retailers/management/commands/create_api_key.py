from django.core.management.base import BaseCommand, CommandError

from retailers.models import Retailer
from retailers.services import api_key_create


class Command(BaseCommand):
    help = "Create an API key for a retailer. The key is printed alone on the last line."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--name", default="storefront")

    def handle(self, *args, slug, name, **options):
        retailer = Retailer.objects.filter(slug=slug).first()
        if retailer is None:
            raise CommandError(f"No retailer {slug!r}.")
        api_key, key = api_key_create(retailer=retailer, name=name)
        self.stdout.write(f"API key {api_key.prefix}… for {retailer.slug}. It is shown once:")
        self.stdout.write(key)
