"""
The run that builds a briefing pack, in the worker (campaigns.tasks.build_briefing_pack), on the job base
(accounts.jobs): it claims the row with a fresh token, so that a run whose claim was taken over (its worker was
presumed dead and the message handed out again) changes nothing; it writes the ZIP in a local scratch folder
(config.scratch, swept if the worker is killed), saves it to private storage under a temporary name, moves it to
its final name when complete, and only then marks the row READY. No request and no Celery here.
"""

import logging
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files import File
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts import stored_text
from accounts.jobs import TRANSIENT_ERRORS, ClaimLost, Progress
from accounts.permissions import Action, can
from campaigns.models import BriefingPack
from campaigns.packs.content import collect
from campaigns.packs.scope import PackError
from campaigns.packs.storage import delete_quietly, move_into_place, pack_folder, private_storage, remove_files
from campaigns.packs.writers import file_digest, pause_for_tests, write_pack
from config import scratch

logger = logging.getLogger(__name__)


def _claim(pack_id):
    """The run's token and the pack, or (None, None) for a pack that is gone, ready, failed or expired."""
    token = BriefingPack.claim_for_run(
        pack_id, max_attempts=settings.PACK_MAX_ATTEMPTS,
        gave_up=stored_text.stored(gettext_noop(
            "The worker stopped %(count)s times while building this pack. Try again; if it fails again, make a "
            "smaller pack."), count=settings.PACK_MAX_ATTEMPTS))
    if token is None:
        return None, None
    pack = (BriefingPack.objects.select_related("group", "requested_by", "campaign", "target", "institution")
            .get(pk=pack_id))
    return token, pack


def build_pack(pack_id):
    """
    Build the pack `pack_id`, idempotently: a pack that is gone, ready or finished is left alone, and a run after
    a crash starts again from nothing. Returns the stored file's name when this run made the pack ready. Passing
    errors (TRANSIENT_ERRORS) are raised for the task to retry, after the pack is put back in the queue.
    """
    token, pack = _claim(pack_id)
    if pack is None:
        return None
    storage = private_storage()
    # Nothing of a pack that is not ready is kept: whatever an earlier run left (a partial upload, its scratch
    # folder if its worker was killed) goes.
    remove_files(storage, pack.pk)
    scratch.sweep(f"pack-{pack.pk}-", older_than=None)
    stored = []
    try:
        user = pack.requested_by
        if user is None or not user.is_active or not can(user, Action.GENERATE_PACKS, pack.group):
            raise PackError(stored_text.stored(gettext_noop(
                "The person who asked for this pack may no longer generate packs in this group.")))
        generated_at = timezone.now()
        content = collect(pack, user, generated_at=generated_at)
        # Steps: read, PDF, DOCX, two tables, each attachment, manifest, stored.
        progress = Progress(BriefingPack, pack.pk, token, total=7 + len(content.attachments),
                            on_step=pause_for_tests)
        progress.step("collected")
        with scratch.folder(f"pack-{pack.pk}-{token}") as folder:
            zip_path = write_pack(content, folder, progress, pack=pack, generated_at=generated_at)
            digest, size = file_digest(zip_path)
            with open(zip_path, "rb") as handle:
                stored.append(storage.save(f"{pack_folder(pack.pk)}/partial-{token}.zip", File(handle)))
        progress.step("stored")
        final = move_into_place(storage, stored[0], f"{pack_folder(pack.pk)}/{token}.zip")
        stored[0] = final
        if not BriefingPack.finish(pack.pk, token, file_name=final, size=size, sha256=digest,
                                   expires_at=timezone.now() + timedelta(days=settings.PACK_MAX_AGE_DAYS)):
            raise ClaimLost()
        return final
    except ClaimLost:
        delete_quietly(storage, stored)
        return None
    except PackError as exc:
        delete_quietly(storage, stored)
        BriefingPack.fail(pack.pk, str(exc), token=token)
    except SoftTimeLimitExceeded:
        delete_quietly(storage, stored)
        BriefingPack.fail(pack.pk, stored_text.stored(gettext_noop(
            "Building the pack took longer than the time limit; make a smaller pack (a target, a narrower search, or "
            "without attachments).")), token=token)
    except TRANSIENT_ERRORS as exc:
        delete_quietly(storage, stored)
        BriefingPack.requeue(pack.pk, token, f"{type(exc).__name__}: {exc}")
        raise
    except Exception as exc:
        logger.exception("Briefing pack %s failed", pack.pk)
        delete_quietly(storage, stored)
        BriefingPack.fail(pack.pk, stored_text.stored(gettext_noop("The pack could not be built (%(error)s)."),
                                          error=f"{type(exc).__name__}: {exc}"), token=token)
    return None
