"""The store state machine (DESIGN.md: Store): every transition from every status, allowed or not."""

import pytest
from django_fsm import can_proceed

from shop.models import Store, StoreDocument, StoreStatus

ALLOWED = {
    "submit": {"draft", "rejected"},
    "approve": {"submitted"},
    "reject": {"submitted"},
    "mark_deposit_paid": {"approved"},
    "sign_agreement": {"deposit_paid"},
    "open": {"agreement_signed"},
    "suspend": {"open"},
    "reinstate": {"suspended"},
    "start_closing": {"open", "suspended"},
    "close": {"closing"},
}


@pytest.mark.parametrize("status", StoreStatus.values)
@pytest.mark.parametrize("name", sorted(ALLOWED))
def test_store_transition_table(status, name):
    store = Store(status=status)
    assert can_proceed(getattr(store, name)) == (status in ALLOWED[name])


DOCUMENT_ALLOWED = {
    "approve": {"pending"},
    "reject": {"pending", "approved"},
    "replace": {"pending", "approved", "rejected"},
}


@pytest.mark.parametrize("status", ["pending", "approved", "rejected", "replaced"])
@pytest.mark.parametrize("name", sorted(DOCUMENT_ALLOWED))
def test_document_transition_table(status, name):
    document = StoreDocument(status=status)
    assert can_proceed(getattr(document, name)) == (status in DOCUMENT_ALLOWED[name])
