"""
The public scoreboard (issue 18): a campaign its group chose to publish, as anyone on the web reads it — its
public summary, the ask, every target's stance and the history of its changes, each with the evidence its group
made public. Off until a coordinator publishes (services.py); what a page shows of a record is the disclosure
policy's "public" column (evidence/disclosure.py), never decided here; pages are cached per campaign and language
and cleared whenever what they show changes (cache.py).
"""
