"""
The token that lets a reply find its target: letters carry it in their Reply-To address (`box+TOKEN@host`).

Derived from the target's id with the site's secret key, so nothing is stored and nobody can guess another target's
address; rotating SECRET_KEY makes older tokens unmatched (their replies wait in triage).
"""

from django.utils.crypto import salted_hmac


def reply_token(target_id):
    return salted_hmac("campaigns.reply_tokens", str(target_id)).hexdigest()[:20]


def reply_address(mailbox_address, target_id):
    local, _, domain = mailbox_address.partition("@")
    return f"{local}+{reply_token(target_id)}@{domain}"
