"""
Replies filed from the group's mailbox (issue 17): a group connects an IMAP mailbox (coordinators; the password
stored encrypted), a periodic job fetches new mail (a MailFetch row per fetch), each message is matched to a target
(matching.py) and filed as a received interaction with its checked attachments (filing.py), or waits in the triage
list for a campaigner. Nothing here moves a target's status: a filed reply proposes the move, a campaigner makes it.

- models.py: Mailbox, MailFetch (the job row), InboundMessage (one per message, filed once)
- secrets.py: the password's encryption; client.py: the IMAP connection and its errors in plain words
- parsing.py: a message's headers, text and attachments; matching.py; filing.py; fetch.py (the job's run)
- services.py: the verbs pages call; tasks.py; forms.py; views.py
"""
