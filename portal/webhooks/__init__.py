"""Outbound webhooks for a store's integrations (models, services, Celery task, pages, admin).

Receivers verify `X-Portal-Signature: sha256=<hex>`, the HMAC-SHA256 with the endpoint's secret over
`"<X-Portal-Timestamp>.<raw body>"`, and deduplicate on `X-Portal-Event-Id`.
"""
