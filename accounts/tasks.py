import socket

from celery import shared_task

from accounts.models import WorkerCheck


@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_worker_check(check_id):
    """Answer a WorkerCheck (a job, accounts.jobs). Idempotent: a check that is gone or answered is left alone."""
    token = WorkerCheck.claim_for_run(check_id, gave_up="The worker stopped every time it took this check.")
    if token is None:
        return None
    hostname = run_worker_check.request.hostname or socket.gethostname()
    WorkerCheck.finish(check_id, token, worker_hostname=hostname)
    return check_id
