"""The payment adapter: signed callbacks, duplicates, amount checks, refunds."""

import pytest

from portal.exceptions import ValidationFailed
from portal.models import Payment
from portal.payments import HANDLERS
from portal.payments.providers import get_provider
from portal.payments.services import payment_create, refund_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid_calls():
    calls = []
    HANDLERS["test"] = lambda payment, by: calls.append(payment.pk)
    yield calls
    HANDLERS.pop("test")


def post_callback(client, body, headers):
    return client.post("/api/v1/payments/callback/sandbox/", body, content_type="application/json", **headers)


def test_signed_callback_pays_once_and_duplicates_are_harmless(client, paid_calls):
    payment = payment_create(purpose="test", reference="R1", amount=1000, store_id=None)
    body, headers = get_provider().callback_request(payment)
    assert post_callback(client, body, headers).json()["status"] == "succeeded"
    assert post_callback(client, body, headers).status_code == 200
    assert paid_calls == [payment.pk]


def test_bad_signature_is_refused_and_changes_nothing(client, paid_calls):
    payment = payment_create(purpose="test", reference="R2", amount=1000, store_id=None)
    body, headers = get_provider().callback_request(payment)
    headers["HTTP_X_SANDBOX_SIGNATURE"] = "0" * 64
    response = post_callback(client, body, headers)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_signature"
    assert Payment.objects.get().status == "pending"
    assert paid_calls == []


def test_stale_timestamp_is_refused(client, paid_calls, time_machine):
    payment = payment_create(purpose="test", reference="R3", amount=1000, store_id=None)
    time_machine.move_to("2026-01-01 00:00 +00:00")
    body, headers = get_provider().callback_request(payment)
    time_machine.move_to("2026-01-01 01:00 +00:00")
    assert post_callback(client, body, headers).json()["error"]["code"] == "bad_timestamp"


def test_refund_cannot_exceed_payment(paid_calls, django_capture_on_commit_callbacks):
    payment = payment_create(purpose="test", reference="R4", amount=1000, store_id=None)
    provider = get_provider()
    from portal.payments.services import payment_record_callback

    payment = payment_record_callback(result=provider.parse_callback(*provider.callback_request(payment)))
    with django_capture_on_commit_callbacks(execute=True):
        refund = refund_create(payment=payment, amount=600, reference="R4", reason="test", by="system")
    refund.refresh_from_db()
    assert refund.status == "succeeded"
    with pytest.raises(ValidationFailed):
        refund_create(payment=payment, amount=401, reference="R4", reason="test", by="system")
