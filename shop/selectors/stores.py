"""Reads of the store area: the application, its documents, the deposit ledger and its sums.

Every read is scoped to one store; pages and API lists use a constant number of queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Case, F, IntegerField, Q, QuerySet, Sum, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.exceptions import DomainError
from portal.models import Membership
from shop.models import (
    AgreementSignature,
    AgreementVersion,
    DepositEntry,
    DepositRefundRequest,
    DepositRule,
    DocumentKind,
    DocumentStatus,
    Store,
    StoreDocument,
    StoreSanction,
    StoreStatus,
)
from shop.models.evaluation import SanctionKind
from shop.models.stores import BALANCE_SIGN, FROZEN_SIGN


def current_documents(store: Store) -> QuerySet[StoreDocument]:
    """The store's documents that count (not replaced), one per kind."""
    return store.documents.exclude(status=DocumentStatus.REPLACED).order_by("kind")


def document_for_store(*, store: Store, pk: int) -> StoreDocument:
    """One of the store's documents (replaced ones too); another store's raises DoesNotExist."""
    return StoreDocument.objects.get(store=store, pk=pk)


@dataclass(frozen=True)
class RequiredDocument:
    kind: str
    label: str
    document: StoreDocument | None
    not_submitted: bool = False  # the application is still being edited: an upload is only "uploaded"

    @property
    def needs_upload(self) -> bool:
        return self.document is None or self.document.status == DocumentStatus.REJECTED

    @property
    def uploaded_only(self) -> bool:
        """Uploaded, waiting for the merchant to submit (已上传), not yet in the reviewer's queue (待审核)."""
        return self.not_submitted and self.document is not None and self.document.status == DocumentStatus.PENDING


def document_checklist(store: Store) -> list[RequiredDocument]:
    """Every document the store must provide, with the current upload (or None). One query."""
    by_kind = {d.kind: d for d in current_documents(store)}
    labels = dict(DocumentKind.choices)
    editable = store.is_editable()
    return [
        RequiredDocument(kind, str(labels[kind]), by_kind.get(kind), editable)
        for kind in store.required_document_kinds()
    ]


def add_working_days(start: date, days: int) -> date:
    """`days` working days after `start`: weekends and settings.PORTAL_HOLIDAYS are skipped."""
    holidays = {date.fromisoformat(d) for d in settings.PORTAL_HOLIDAYS}
    current = start
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5 and current not in holidays:
            days -= 1
    return current


def latest_deposit_refund(store: Store) -> DepositRefundRequest | None:
    """The store's latest deposit refund request (pending, approved or rejected), or None."""
    return DepositRefundRequest.objects.filter(store=store).order_by("-created_at", "-id").first()


def expected_review_date(store: Store) -> date | None:
    """About 2 working days after submission (settings.PORTAL_TIME_RULES['store_review_expected'])."""
    if store.status != StoreStatus.SUBMITTED or store.submitted_at is None:
        return None
    days = settings.PORTAL_TIME_RULES["store_review_expected"].days
    return add_working_days(timezone.localdate(store.submitted_at), days)


def required_deposit(store: Store) -> int:
    """The deposit (fen) the rule table asks of this store: the most specific active rule wins."""
    rules = DepositRule.objects.filter(
        Q(enterprise_kind="") | Q(enterprise_kind=store.enterprise_kind),
        Q(category__isnull=True) | Q(category_id=store.main_category_id),
        store_type=store.store_type,
        is_active=True,
    )
    best = max(rules, key=lambda r: (r.specificity(), r.amount), default=None)
    if best is None:
        raise DomainError(_("没有适用于该店铺类型和类目的保证金规则，请联系平台。"), code="no_deposit_rule")
    return best.amount


@dataclass(frozen=True)
class DepositSummary:
    balance: int  # held for the store, frozen part included; negative means the store owes a top-up
    frozen: int
    required: int | None

    @property
    def available(self) -> int:
        return self.balance - self.frozen

    @property
    def shortfall(self) -> int:
        """How much the store must (top) up to hold the required deposit, available part only."""
        if self.required is None:
            return 0
        return max(self.required - self.available, 0)


def _signed(signs: dict[str, int]) -> Case:
    return Case(
        *[When(kind=kind, then=Value(sign)) for kind, sign in signs.items() if sign],
        default=Value(0),
        output_field=IntegerField(),
    )


def deposit_sums(store: Store) -> tuple[int, int]:
    """(balance, frozen) in fen, summed from the ledger in one query."""
    sums = DepositEntry.objects.filter(store=store).aggregate(
        balance=Sum(_signed(BALANCE_SIGN) * F("amount")),
        frozen=Sum(_signed(FROZEN_SIGN) * F("amount")),
    )
    return sums["balance"] or 0, sums["frozen"] or 0


def deposit_balance(store: Store) -> int:
    """The deposit held for the store (fen), frozen part included: pay + top-up − deduct − refund."""
    return deposit_sums(store)[0]


def deposit_summary(store: Store) -> DepositSummary:
    balance, frozen = deposit_sums(store)
    try:
        required = required_deposit(store)
    except DomainError:
        required = None
    return DepositSummary(balance=balance, frozen=frozen, required=required)


def deposit_entries(store: Store) -> QuerySet[DepositEntry]:
    return DepositEntry.objects.filter(store=store).select_related("created_by").order_by("-created_at", "-id")


def current_agreement() -> AgreementVersion | None:
    return AgreementVersion.objects.filter(effective_at__lte=timezone.now()).order_by("-effective_at", "-id").first()


def store_signatures(store: Store) -> QuerySet[AgreementSignature]:
    return store.agreement_signatures.select_related("version", "signer")


def store_members(store: Store) -> QuerySet[Membership]:
    return Membership.objects.filter(store=store).select_related("user").order_by("created_at", "id")


def submitted_applications() -> QuerySet[Store]:
    """The review queue: oldest submission first."""
    return Store.objects.filter(status=StoreStatus.SUBMITTED).select_related("main_category").order_by("submitted_at")


def withdrawal_limit(store: Store) -> StoreSanction | None:
    """The withdrawal limit in force on the store, if any (the funds page and `withdrawal_request` ask)."""
    return next((s for s in active_sanctions(store) if s.kind == SanctionKind.WITHDRAWAL_LIMIT), None)


def active_sanctions(store: Store, *, now: datetime | None = None) -> list[StoreSanction]:
    """The store's sanctions in force now (repeated violations: search demotion, withdrawal limit)."""
    now = now or timezone.now()
    return list(StoreSanction.objects.filter(store=store, lifted_at__isnull=True, starts_at__lte=now, ends_at__gt=now))
