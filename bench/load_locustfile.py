"""
The clients of bench/load.py, for locust: each signed-in client requests the endpoints in turn, with a random
think time between requests. LOAD_PLAN names the JSON file bench/load.py writes (sessions, paths, think time).
"""

import itertools
import json
import os
import random

from locust import FastHttpUser, task

PLAN = json.loads(open(os.environ["LOAD_PLAN"]).read())  # noqa: SIM115 - read once at import
_numbers = itertools.count()


def _wait(user):
    # Exponential think time: clients that come and go independently, mean PLAN["think"] seconds.
    return random.expovariate(1 / PLAN["think"]) if PLAN["think"] else 0


class SignedInClient(FastHttpUser):
    wait_time = _wait

    def on_start(self):
        number = next(_numbers)
        self.plan = PLAN["clients"][number % len(PLAN["clients"])]
        self.turn = number  # clients start at different endpoints and words
        # The session cookie is Secure (production settings): sent by hand over plain HTTP to localhost, with the
        # header the TLS proxy would add.
        self.headers = {"Cookie": self.plan["cookie"], "X-Forwarded-Proto": "https"}

    @task
    def next_endpoint(self):
        name, template = PLAN["endpoints"][self.turn % len(PLAN["endpoints"])]
        cycle = self.turn // len(PLAN["endpoints"])
        path = template.format(en=PLAN["en"][cycle % len(PLAN["en"])], zh=PLAN["zh"][cycle % len(PLAN["zh"])],
                               campaign=self.plan["campaign"])
        self.turn += 1
        with self.client.get(path, name=name, headers=self.headers, allow_redirects=False,
                             catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code} for {path}")
