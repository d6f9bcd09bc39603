"""Every write of online shipping booking, one module per aggregate.

The public service functions are re-exported here, so `shipping.services.<name>` keeps working;
new code may import from the submodule that owns the name.
"""

from .accounts import (
    courier_account_connect,
    courier_account_disconnect,
    courier_account_set_couriers,
    courier_account_test,
)
from .addresses import sender_address_delete, sender_address_save
from .booking import (
    MOBILE,
    BookingLine,
    batch_limit_message,
    booking_cancel,
    booking_chunks,
    booking_dispatch,
    booking_rebook,
    booking_record_results,
    booking_submit,
    booking_submit_many,
    check_batch_limit,
    courier_refusal_for,
    order_shipments_cancel,
    selection_limit,
    shipment_cancel,
)
from .conversations import courier_message_send, ticket_report, ticket_resolve
from .courier_reports import ADVANCE, courier_updates_apply, shipment_apply_update, shipments_poll, webhook_receive
from .deadlines import bookings_dispatch_pending, shipments_mark_overdue
from .kuaidi100 import courier_options_quote, kuaidi100_callback_receive, shipments_reconcile
from .labels import labels_mark_printed

__all__ = [
    "booking_chunks",
    "booking_submit_many",
    "selection_limit",
    "labels_mark_printed",
    "courier_account_connect",
    "courier_account_disconnect",
    "courier_account_set_couriers",
    "courier_account_test",
    "kuaidi100_callback_receive",
    "courier_options_quote",
    "shipments_reconcile",
    "sender_address_save",
    "sender_address_delete",
    "MOBILE",
    "BookingLine",
    "batch_limit_message",
    "check_batch_limit",
    "booking_submit",
    "courier_refusal_for",
    "booking_dispatch",
    "booking_record_results",
    "shipment_cancel",
    "order_shipments_cancel",
    "booking_cancel",
    "booking_rebook",
    "webhook_receive",
    "courier_updates_apply",
    "ADVANCE",
    "shipment_apply_update",
    "shipments_poll",
    "courier_message_send",
    "ticket_report",
    "ticket_resolve",
    "bookings_dispatch_pending",
    "shipments_mark_overdue",
]
