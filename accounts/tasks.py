import socket

from celery import shared_task

from accounts.models import WorkerCheck


@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_worker_check(check_id):
    """Answer a WorkerCheck. Idempotent: a check that is gone or already answered is left alone."""
    check = WorkerCheck.objects.filter(pk=check_id).first()
    if check is None:
        return None
    hostname = run_worker_check.request.hostname or socket.gethostname()
    check.mark_done(hostname)
    return check_id
