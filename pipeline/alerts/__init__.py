"""Alerts: a failed or blocked night told to the people who run it (webhook and e-mail)."""

from pipeline.alerts.notify import (
    Alert,
    AlertDeliveryError,
    AlertSettings,
    alert_settings,
    failed_night,
    notify,
)

__all__ = [
    "Alert",
    "AlertDeliveryError",
    "AlertSettings",
    "alert_settings",
    "failed_night",
    "notify",
]
