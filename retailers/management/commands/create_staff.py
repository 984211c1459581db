from django.core.management.base import BaseCommand, CommandError

from retailers.models import Retailer, StaffMember
from retailers.services import staff_create


class Command(BaseCommand):
    help = "Create or update a BPO user: agent, supervisor, retailer manager or warehouse clerk."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=StaffMember.Role.values)
        parser.add_argument("--password", required=True)
        parser.add_argument("--retailer", action="append", default=[], dest="retailers")
        parser.add_argument("--email", default="")

    def handle(self, *args, username, role, password, retailers, email, **options):
        found = list(Retailer.objects.filter(slug__in=retailers))
        missing = set(retailers) - {r.slug for r in found}
        if missing:
            raise CommandError(f"No retailer {', '.join(sorted(missing))}.")
        staff_create(username=username, role=role, password=password, retailers=found, email=email)
        serves = (
            "all retailers" if role == "supervisor" else (", ".join(retailers) or "no retailer yet")
        )
        self.stdout.write(f"{username} is a {role} serving {serves}.")
