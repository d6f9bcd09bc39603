"""The store's sender address book."""

from __future__ import annotations

from django.db import transaction

from ..models import (
    SenderAddress,
)


@transaction.atomic
def sender_address_save(*, store, data: dict, address: SenderAddress | None = None, by) -> SenderAddress:
    """Create or update an address of the store's book; the first (or one marked default) becomes the default."""
    address = address or SenderAddress(store=store)
    for key in ("label", "contact_name", "phone", "province", "city", "district", "street"):
        setattr(address, key, data[key])
    make_default = (
        data.get("is_default") or not SenderAddress.objects.filter(store=store).exclude(pk=address.pk).exists()
    )
    if make_default:
        SenderAddress.objects.select_for_update().filter(store=store, is_default=True).exclude(pk=address.pk).update(
            is_default=False
        )
    address.is_default = bool(make_default)
    address.save()
    return address


@transaction.atomic
def sender_address_delete(*, address: SenderAddress, by) -> None:
    """Delete an address; the default passes to the oldest remaining one."""
    store_id, was_default = address.store_id, address.is_default
    address.delete()
    if was_default:
        nxt = SenderAddress.objects.filter(store_id=store_id).order_by("id").first()
        if nxt:
            SenderAddress.objects.filter(pk=nxt.pk).update(is_default=True)
