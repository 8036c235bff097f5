"""
Scratch files of jobs (briefing text, evidence) that a killed worker left behind are swept by the hourly clean-up
(campaigns.tasks.prune_expired_packs) once no live job can own them; a job's own recent folder is left alone.
"""

import os
import time

import pytest

from campaigns.tasks import prune_expired_packs
from config import scratch

pytestmark = pytest.mark.django_db


def aged(path, minutes):
    then = time.time() - minutes * 60
    os.utime(path, (then, then))
    return path


def test_the_clean_up_sweeps_what_killed_jobs_left_and_only_that(settings, tmp_path):
    settings.SCRATCH_DIR = str(tmp_path)
    dead = tmp_path / f"{scratch.PREFIX}pack-7-abc"
    dead.mkdir()
    (dead / "briefing.pdf").write_text("Cameras in classrooms")
    aged(dead, 11)
    dead_input = tmp_path / f"{scratch.PREFIX}typst-input.json"
    dead_input.write_text("{}")
    aged(dead_input, 60)
    live = tmp_path / f"{scratch.PREFIX}pack-8-def"
    live.mkdir()
    someone_elses = tmp_path / "not-ours"
    someone_elses.mkdir()
    aged(someone_elses, 600)

    prune_expired_packs()
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted([live.name, someone_elses.name])


def test_a_scratch_folder_is_removed_when_its_job_ends(settings, tmp_path):
    settings.SCRATCH_DIR = str(tmp_path / "scratch")
    with scratch.folder("pack-9-xyz") as folder:
        assert folder.parent == tmp_path / "scratch" and folder.name.startswith(f"{scratch.PREFIX}pack-9-xyz-")
        (folder / "briefing.docx").write_text("text")
    assert list((tmp_path / "scratch").iterdir()) == []
