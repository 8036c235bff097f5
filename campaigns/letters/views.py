"""
Letter pages: a campaign's templates and batches, writing a template, generating letters for targets, a batch's
progress and its letters to review and download, and marking them sent. Campaigners only (Action.MANAGE_CAMPAIGNS):
another group's templates, batches and letters are a 404, the same as missing ones.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from accounts.audit import record_change
from accounts.files import private_storage
from accounts.forms import add_service_errors
from accounts.permissions import Action
from accounts.scoping import get_for_writer
from campaigns.letters import services
from campaigns.letters.email import email_letters
from campaigns.letters.forms import LetterBatchForm, LetterTemplateForm
from campaigns.letters.models import Letter, LetterBatch, LetterTemplate
from campaigns.models import Campaign, Target

WRITE = Action.MANAGE_CAMPAIGNS


def _campaign(request, pk):
    return get_for_writer(Campaign.objects.select_related("group"), request.user, WRITE, pk=pk)


@login_required
@require_safe
def letters_home(request, pk):
    campaign = _campaign(request, pk)
    return render(request, "campaigns/letters/home.html", {
        "campaign": campaign,
        "templates": LetterTemplate.objects.visible_to(request.user).filter(campaign=campaign),
        "batches": LetterBatch.objects.visible_to(request.user).filter(campaign=campaign)
        .select_related("requested_by")[:50],
    })


def _template_page(request, form, campaign, template=None, status=200):
    return render(request, "campaigns/letters/template_form.html",
                  {"form": form, "campaign": campaign, "template": template}, status=status)


def _save_template(request, campaign, template=None):
    form = LetterTemplateForm(request.POST or None, instance=template)
    if request.method != "POST":
        return _template_page(request, form, campaign, template)
    if form.is_valid():
        try:
            template = services.save_template(campaign, actor=request.user, template=template,
                                              **{name: form.cleaned_data[name] for name in form.Meta.fields})
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The letter template is saved."))
            return redirect("letters-home", campaign.pk)
    return _template_page(request, form, campaign, template, status=400)


@login_required
def letter_template_create(request, pk):
    return _save_template(request, _campaign(request, pk))


@login_required
def letter_template_edit(request, pk):
    template = get_for_writer(LetterTemplate.objects.select_related("campaign__group"), request.user, WRITE, pk=pk)
    return _save_template(request, template.campaign, template)


@login_required
def letter_batch_create(request, pk):
    """Generate letters from a template for the chosen targets (`?target=` ticks one in advance)."""
    template = get_for_writer(LetterTemplate.objects.select_related("campaign__group"), request.user, WRITE, pk=pk)
    campaign = template.campaign
    targets = Target.objects.visible_to(request.user).filter(campaign=campaign).select_related("institution")
    initial = {"targets": request.GET.getlist("target")} if request.method != "POST" else None
    form = LetterBatchForm(request.POST or None, targets=targets, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                batch = services.request_letters(template, actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The letters are being written; this page shows their progress."))
                return redirect(batch)
    return render(request, "campaigns/letters/batch_form.html",
                  {"form": form, "template": template, "campaign": campaign}, status=status)


def _batch(request, pk):
    return get_for_writer(LetterBatch.objects.select_related("group", "campaign", "requested_by"), request.user,
                          WRITE, pk=pk)


@login_required
@require_safe
def letter_batch_detail(request, pk):
    batch = _batch(request, pk)
    letters = batch.letters.select_related("target__institution", "interaction")
    context = {"batch": batch, "job": batch, "letters": letters, "campaign": batch.campaign}
    template = "campaigns/letters/_batch_status.html" if request.htmx else "campaigns/letters/batch_detail.html"
    return render(request, template, context)


@login_required
@require_POST
def letter_batch_retry(request, pk):
    batch = _batch(request, pk)
    try:
        services.retry_batch(batch, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The letters are being written again."))
    return redirect(batch)


@login_required
@require_POST
def letter_batch_mark_sent(request, pk):
    """Mark every unsent letter of the batch sent, or only those whose ids the form sends as `letter`."""
    batch = _batch(request, pk)
    chosen = request.POST.getlist("letter")
    letters = None
    if chosen:
        letters = list(batch.letters.filter(pk__in=[value for value in chosen if value.isdigit()]))
    try:
        marked = services.mark_sent(batch, actor=request.user, letters=letters)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, ngettext("%(count)s letter marked sent and logged on its target.",
                                           "%(count)s letters marked sent and logged on their targets.",
                                           len(marked)) % {"count": len(marked)})
    return redirect(batch)


@login_required
@require_POST
def letter_batch_email(request, pk):
    """E-mail every unsent letter of the batch to its target's contact address; say which targets had none."""
    batch = _batch(request, pk)
    try:
        outcome = email_letters(batch, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(batch)
    except OSError:  # smtplib's errors included: the letters sent before it stay sent, the rest stay unsent
        messages.error(request, _("The mail server could not be reached; the letters not yet e-mailed are "
                                  "still unsent. Try again later."))
        return redirect(batch)
    messages.success(request, ngettext("%(count)s letter e-mailed and logged on its target.",
                                       "%(count)s letters e-mailed and logged on their targets.",
                                       len(outcome.sent)) % {"count": len(outcome.sent)})
    if outcome.skipped:
        messages.warning(request, _("Not e-mailed, for want of a contact address: %(names)s.")
                         % {"names": ", ".join(target.institution.name for target in outcome.skipped)})
    return redirect(batch)


def _download(request, obj, name, filename, content_type):
    try:
        handle = private_storage().open(name, "rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404("The file is missing from storage.") from exc
    record_change(actor=request.user, obj=obj, action="letters.downloaded", after={"file": filename})
    response = FileResponse(handle, as_attachment=True, filename=filename, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_safe
def letter_batch_download(request, pk):
    batch = _batch(request, pk)
    if batch.status != LetterBatch.Status.READY or not batch.zip_file:
        raise Http404("These letters are not ready.")
    return _download(request, batch, batch.zip_file, f"letters-{batch.pk}.zip", "application/zip")


FORMATS = {"pdf": "application/pdf",
           "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


@login_required
@require_safe
def letter_download(request, pk, kind):
    if kind not in FORMATS:
        raise Http404("No such format.")
    letter = get_for_writer(Letter.objects.select_related("batch__group", "target__institution"), request.user,
                            WRITE, pk=pk)
    name = getattr(letter, f"{kind}_file")
    if not name:
        raise Http404("This letter is not written yet.")
    return _download(request, letter.batch, name, letter.file_name(kind), FORMATS[kind])
