"""The fixed vocabularies of the journey: provider event kinds, channels and SMS keywords.

raw.provider_events enforces EVENT_KINDS and CHANNELS with check constraints (sql/schema/020);
core.sms_keywords holds the keywords; tests keep these constants and the schema in step.
"""

from __future__ import annotations

CHANNELS = ("email", "sms")

# bounce (type bounce) -> bounced_hard, deferred/bounce (type blocked) -> bounced_soft; Twilio
# undelivered/failed -> failed; group_unsubscribe -> unsubscribed, group_resubscribe -> resubscribed.
EVENT_KINDS = (
    "processed", "deferred", "delivered", "bounced_hard", "bounced_soft", "dropped", "failed",
    "opened", "clicked", "replied", "inbound_sms", "unsubscribed", "resubscribed", "spam_report",
)

SMS_OPT_OUT = ("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT")
SMS_OPT_IN = ("START", "YES", "UNSTOP")
