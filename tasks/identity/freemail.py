"""Mailbox lookups: personal providers (an address there is a personal email, anywhere else a work
one), and the local parts forms and recruiters type for "no email" (an address that is nobody's)."""

from __future__ import annotations

import pandas as pd

FREE_MAIL_DOMAINS = (
    "gmail.com googlemail.com yahoo.com yahoo.co.uk yahoo.de yahoo.fr yahoo.es outlook.com outlook.de hotmail.com "
    "hotmail.co.uk hotmail.de hotmail.fr live.com msn.com icloud.com me.com mac.com aol.com proton.me "
    "protonmail.com gmx.de gmx.at gmx.net gmx.com web.de t-online.de freenet.de mail.com yandex.com zoho.com "
    "btinternet.com sky.com orange.fr free.fr laposte.net aon.at posteo.de mailbox.org fastmail.com"
).split()
# local parts (of the mailbox: lowercased, without a +tag) no person's own address has, at any domain
PLACEHOLDER_LOCAL_PARTS = (
    "noreply no-reply no_reply no.reply donotreply do-not-reply do_not_reply do.not.reply dontreply "
    "noemail no-email no_email no.email nomail no-mail no_mail none nobody noone no-one "
    "test testing test123 dummy fake example sample placeholder invalid unknown null"
).split()


def free_mail_frame() -> pd.DataFrame:
    """Reads nothing -> one row per personal mailbox domain (column domain)."""
    return pd.DataFrame({"domain": FREE_MAIL_DOMAINS})


def placeholder_mail_frame() -> pd.DataFrame:
    """Reads nothing -> one row per placeholder local part (column local_part)."""
    return pd.DataFrame({"local_part": PLACEHOLDER_LOCAL_PARTS})
