"""Personal mailbox providers: an address there is a personal email, anywhere else a work one."""

from __future__ import annotations

import pandas as pd

FREE_MAIL_DOMAINS = (
    "gmail.com googlemail.com yahoo.com yahoo.co.uk yahoo.de yahoo.fr yahoo.es outlook.com outlook.de hotmail.com "
    "hotmail.co.uk hotmail.de hotmail.fr live.com msn.com icloud.com me.com mac.com aol.com proton.me "
    "protonmail.com gmx.de gmx.at gmx.net gmx.com web.de t-online.de freenet.de mail.com yandex.com zoho.com "
    "btinternet.com sky.com orange.fr free.fr laposte.net aon.at posteo.de mailbox.org fastmail.com"
).split()


def free_mail_frame() -> pd.DataFrame:
    """Reads nothing -> one row per personal mailbox domain (column domain)."""
    return pd.DataFrame({"domain": FREE_MAIL_DOMAINS})
