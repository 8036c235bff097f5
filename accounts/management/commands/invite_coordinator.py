from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts import services
from accounts.models import Group


class Command(BaseCommand):
    help = ("Invite a coordinator into a group: a new group's first, or a new one for a group that lost its last. "
            "Staff cannot do this in the admin, which lists no memberships or invitations (accounts/admin.py): a "
            "staff account is not a way into a group. The invitation goes by e-mail; the link is not printed.")

    def add_arguments(self, parser):
        parser.add_argument("group", help="The group's short name (slug)")
        parser.add_argument("email", help="The address of the person to invite")

    def handle(self, *args, group, email, **options):
        try:
            group = Group.objects.get(slug=group)
        except Group.DoesNotExist:
            raise CommandError(f"No group has the short name “{group}”.") from None
        try:
            services.invite_coordinator_by_operator(group, email=email)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(f"{email}: invited as a coordinator of {group.name}; they join by accepting the e-mail.")
