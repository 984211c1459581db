from datetime import timedelta

from django.core.management.base import BaseCommand

from ops.invariants import DEFAULT_GRACE, invariants_check


class Command(BaseCommand):
    help = (
        "Check what must hold whatever failed: per payment, refunds succeeded never exceed "
        "what was captured; each sandbox refund moved money exactly once; stock equals its "
        "ledger; every approved request is completed or flagged for a person. Prints the "
        "rows that break a rule and exits 1; exits 0 when all hold."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--grace-minutes",
            type=float,
            default=DEFAULT_GRACE.total_seconds() / 60,
            help="How long approved requests and pending refunds may be in flight (15).",
        )

    def handle(self, *args, grace_minutes, **options):
        violations = invariants_check(grace=timedelta(minutes=grace_minutes))
        for violation in violations:
            self.stdout.write(str(violation))
        if violations:
            self.stderr.write(f"{len(violations)} invariant violation(s).")
            raise SystemExit(1)
        self.stdout.write("All invariants hold.")
