from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import Group, Membership, Role, User

DEMO_PASSWORD = "disentangle-demo"
# The second group's own coordinator, a member of no other group: what that group shares, and what it does not
# see of the first, shows best from inside it.
PARTNER_USERNAME = "partner"
DEMO_GROUP = "Demo Coalition"
PARTNER_GROUP = "Partner Network"


def demo_user(username):
    user, created = User.objects.get_or_create(
        username=username, defaults={"email": f"{username}@demo.disentangle.invalid"}
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


class Command(BaseCommand):
    help = "Create a demo group with one account per role (development only). Safe to run again."

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("Demo accounts have a published password; they are never created in production.")
        with transaction.atomic():
            group, _ = Group.objects.get_or_create(
                slug="demo-coalition",
                defaults={"name": DEMO_GROUP, "description": "A demonstration group with one account per role."},
            )
            partner, _ = Group.objects.get_or_create(
                slug="partner-network",
                defaults={"name": PARTNER_GROUP, "description": "A second group, to show the group switcher."},
            )
            for role in Role:
                user = demo_user(role.value)
                Membership.objects.get_or_create(user=user, group=group, defaults={"role": role})
            coordinator = User.objects.get(username=Role.COORDINATOR.value)
            Membership.objects.get_or_create(user=coordinator, group=partner, defaults={"role": Role.COORDINATOR})
            Membership.objects.get_or_create(user=demo_user(PARTNER_USERNAME), group=partner,
                                             defaults={"role": Role.COORDINATOR})

        self.stdout.write(f"Demo group '{group}': sign in at {settings.SITE_URL}/login/ with")
        for role in Role:
            self.stdout.write(f"  {role.value:<12} password {DEMO_PASSWORD}")
        self.stdout.write(f"Second demo group '{partner}', with its own coordinator:")
        self.stdout.write(f"  {PARTNER_USERNAME:<12} password {DEMO_PASSWORD}")
        self.stdout.write(f"(coordinator is also in '{partner}', to try the group switcher)")
        # A realistic campaign to look at (campaigns app); it needs the report's directory, loaded before this.
        from django.core.management import call_command

        call_command("seed_demo_campaign", stdout=self.stdout)
