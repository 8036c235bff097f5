"""
A person's private calendar feed (iCalendar, RFC 5545): the tasks assigned to them and the next steps of the
targets they follow up, each on its due date, across their groups' campaigns. A calendar app fetches it from an
address that carries a secret key (accounts.services.new_calendar_key); a wrong, old or ended key is a 404.

What is in it is what the person sees on "My work", and no more: their own open tasks and targets, read through
visible_to, so leaving a group takes its items out of the feed at the next fetch. No evidence, no sources, no
notes and nobody else's work: the feed leaves the site for a calendar service, which may keep copies.
"""

from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from campaigns.models import Target, Task

# How far back an undone item still shows: older ones are noise in a calendar, and My work lists them all.
OVERDUE_DAYS_SHOWN = 90


def _link(path):
    return settings.SITE_URL.rstrip("/") + path


def calendar_items(user):
    """The open tasks assigned to `user` and their chased targets with a due date, from OVERDUE_DAYS_SHOWN ago."""
    since = timezone.localdate() - timedelta(days=OVERDUE_DAYS_SHOWN)
    tasks = (Task.objects.visible_to(user).open().filter(assignee=user, due_on__gte=since)
             .select_related("campaign__group", "target__institution").order_by("due_on", "pk"))
    targets = (Target.objects.visible_to(user).chased().filter(owner=user, next_step_due__gte=since)
               .select_related("campaign__group", "institution").order_by("next_step_due", "pk"))
    return tasks, targets


def _event(uid, day, summary, description, url, stamp):
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", day)  # a date: an all-day event, on the day it is due
    event.add("dtend", day + timedelta(days=1))
    event.add("summary", summary)
    event.add("description", description)
    event.add("url", url)
    event.add("transp", "TRANSPARENT")  # a due date does not make the person busy
    return event


def calendar_for(user):
    """The feed's bytes, in the person's own language."""
    tasks, targets = calendar_items(user)
    host = urlsplit(settings.SITE_URL).hostname or "disentangle"
    stamp = timezone.now()
    with translation.override(user.language or settings.LANGUAGE_CODE):
        calendar = Calendar()
        calendar.add("prodid", "-//Disentangle//Calendar feed//EN")
        calendar.add("version", "2.0")
        calendar.add("x-wr-calname", _("Disentangle: my work"))
        for task in tasks:
            about = f" ({task.target.institution.name})" if task.target_id else ""
            calendar.add_component(_event(
                f"task-{task.pk}@{host}", task.due_on, _("Task: %(title)s") % {"title": task.title} + about,
                _("Campaign: %(campaign)s (%(group)s)") % {"campaign": task.campaign.title,
                                                          "group": task.campaign.group.name},
                _link(reverse("campaign-detail", args=[task.campaign_id])), stamp))
        for target in targets:
            step = target.next_step or _("next step")
            calendar.add_component(_event(
                f"target-{target.pk}@{host}", target.next_step_due,
                _("%(institution)s: %(step)s") % {"institution": target.institution.name, "step": step},
                _("Campaign: %(campaign)s (%(group)s)") % {"campaign": target.campaign.title,
                                                          "group": target.campaign.group.name},
                _link(target.get_absolute_url()), stamp))
    return calendar.to_ical()
