"""The candidate journey: funnel stages, consent and suppression, segments (issue #4)."""
