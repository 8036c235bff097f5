import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()

# Python's cycle collector walks every object it tracks in its oldest generation, and a loaded site holds about
# 190,000 of them (Django, the apps, their modules) that live as long as the process: each full collection
# took about 100 ms, in the middle of whichever request allocated past the threshold, and with the default
# thresholds they cost 2.8 ms a request over bench/load.py's mix (bench/README.md, "Session 8"). Frozen, the startup
# objects are never walked again; collecting the youngest generation every 5,000 allocations rather than every 700
# leaves a request's own garbage for one collection instead of a dozen. Together: 0.8 ms a request, no 100 ms stall.
gc.collect()
gc.freeze()
gc.set_threshold(5_000, 10, 10)
