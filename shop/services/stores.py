"""Every write of store onboarding and the store lifecycle (DESIGN.md: Store).

Application (create, update, documents, submit), staff review (approve, reject with reasons per
document), agreement signing and opening, suspension, reinstatement, closing, and the store team.
The deposit lives in shop/services/deposit.py.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed
from PIL import Image

from portal.actions import require_action
from portal.actors import require_perm, user_of
from portal.audit import audit_record
from portal.events import emit
from portal.exceptions import Conflict, IllegalTransition, PermissionDenied, ValidationFailed
from portal.fsm import transition
from portal.models import Membership, Role, User
from shop.models import (
    AgreementSignature,
    AgreementVersion,
    Category,
    DocumentKind,
    DocumentStatus,
    Order,
    Product,
    Store,
    StoreDocument,
    StoreStatus,
    StoreType,
)
from shop.models.catalog import ProductStatus
from shop.models.orders import OrderStatus
from shop.models.stores import EnterpriseKind, TrademarkStatus
from shop.selectors.stores import current_agreement, current_documents, expected_review_date

APPLICATION_FIELDS = (
    "store_type",
    "enterprise_kind",
    "name",
    "main_category",
    "brand_name",
    "contact_name",
    "contact_phone",
    "company_name",
    "credit_code",
)
# Shop-name words reserved for the platform, and suffixes reserved for an enterprise kind.
RESERVED_NAME_WORDS = ("拼多多", "拼单平台", "官方")
KIND_SUFFIXES = {
    "旗舰店": EnterpriseKind.FLAGSHIP,
    "专卖店": EnterpriseKind.EXCLUSIVE,
    "专营店": EnterpriseKind.SPECIALTY,
}
UNFINISHED_ORDER_STATUSES = (
    OrderStatus.PENDING_PAYMENT,
    OrderStatus.GROUPING,
    OrderStatus.PAID,
    OrderStatus.SHIPPED,
    OrderStatus.DELIVERED,
)
# Content sniffing: an upload is what its first bytes say, whatever its name claims.
SIGNATURES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png", b"%PDF-": "application/pdf"}
EXTENSIONS = {"image/jpeg": (".jpg", ".jpeg"), "image/png": (".png",), "application/pdf": (".pdf",)}


def document_max_bytes() -> int:
    return getattr(settings, "STORE_DOCUMENT_MAX_BYTES", 5 * 1024 * 1024)


def require_owner(store: Store, by: Any) -> None:
    if not Membership.objects.filter(store=store, user=user_of(by), role=Role.OWNER).exists():
        raise PermissionDenied(_("只有店主可以执行此操作。"))


def require_transition(store: Store, name: str) -> None:
    """Refuse early (409) when the store's state does not allow `name`, before checking anything else."""
    if not can_proceed(getattr(store, name)):
        raise IllegalTransition(
            _("店铺当前状态“%(status)s”不允许此操作。") % {"status": store.get_status_display()},
            code="illegal_transition",
        )


def _store_url() -> str:
    return reverse("shop:store_detail")


# Application ---------------------------------------------------------------------------------


def store_name_errors(
    name: str, *, store_type: str, enterprise_kind: str = "", exclude_pk: int | None = None
) -> list[str]:
    """The shop-name rules (length, reserved words, kind suffixes, uniqueness) for a name not saved yet."""
    errors: list[str] = []
    name = (name or "").strip()
    if len(name) < 2:
        errors.append(_("店铺名称至少 2 个字。"))
    if any(word in name for word in RESERVED_NAME_WORDS):
        errors.append(_("店铺名称不能包含“拼多多”“官方”等平台保留词。"))
    for suffix, kind in KIND_SUFFIXES.items():
        if name.endswith(suffix) and not (store_type == StoreType.ENTERPRISE and enterprise_kind == kind):
            errors.append(_("只有%(kind)s的名称可以以“%(suffix)s”结尾。") % {"kind": kind.label, "suffix": suffix})
    taken = Store.objects.filter(name__iexact=name)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if name and taken.exists():
        errors.append(_("该店铺名称已被使用。"))
    return errors


def application_errors(store: Store) -> dict[str, list[str]]:
    """Field errors of the application's information (model validators plus the cross-field rules)."""
    errors: dict[str, list[str]] = {}
    try:
        store.full_clean(exclude=["status"], validate_unique=False)
    except ValidationError as exc:
        errors.update({k: [str(m) for m in v] for k, v in exc.message_dict.items()})

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    for message in store_name_errors(
        store.name or "", store_type=store.store_type, enterprise_kind=store.enterprise_kind, exclude_pk=store.pk
    ):
        add("name", message)
    if store.is_enterprise and not store.enterprise_kind:
        add("enterprise_kind", _("企业店请选择店铺类别。"))
    if not store.is_enterprise and store.enterprise_kind:
        add("enterprise_kind", _("只有企业店可以选择旗舰店、专卖店或专营店。"))
    if store.needs_brand and not store.brand_name.strip():
        add("brand_name", _("旗舰店、专卖店和专营店须填写经营品牌。"))
    if not store.main_category_id:
        add("main_category", _("请选择主营类目。"))
    if not store.contact_name.strip():
        add("contact_name", _("请填写联系人。"))
    if not store.contact_phone:
        add("contact_phone", _("请填写联系手机。"))
    if store.needs_licence:
        if not store.company_name.strip():
            add("company_name", _("请填写营业执照上的主体名称。"))
        if not store.credit_code:
            add("credit_code", _("请填写统一社会信用代码。"))
    return errors


def _apply(store: Store, data: dict[str, Any]) -> None:
    unknown = set(data) - set(APPLICATION_FIELDS)
    if unknown:
        raise ValueError(f"Not application fields: {sorted(unknown)}")
    for field, value in data.items():
        if field == "main_category" and value is not None and not isinstance(value, Category):
            value = Category.objects.filter(pk=value).first()
        if isinstance(value, str):
            value = value.strip()
            if field == "credit_code":
                value = value.upper()
        setattr(store, field, value)
    if store.store_type != StoreType.ENTERPRISE and "enterprise_kind" not in data:
        store.enterprise_kind = ""
    if not store.needs_brand and "brand_name" not in data:
        store.brand_name = ""


@transaction.atomic
def store_create(*, user: User, data: dict[str, Any], by: Any) -> Store:
    """Start an application: a draft store owned by `user`. Raises ValidationFailed with field errors."""
    store = Store(enterprise_kind="", brand_name="", company_name="", credit_code="")
    _apply(store, data)
    errors = application_errors(store)
    if errors:
        raise ValidationFailed(_("请修正标出的字段。"), fields=errors)
    _save_named(store)
    Membership.objects.create(user=user, store=store, role=Role.OWNER)
    return store


@transaction.atomic
def store_update_application(*, store: Store, data: dict[str, Any], by: Any) -> Store:
    """Save (part of) the application's information: a draft, or a rejected one being corrected."""
    store = Store.objects.select_for_update().get(pk=store.pk)
    if not store.is_editable():
        raise IllegalTransition(_("申请已提交，当前状态不能修改资料。"), code="application_locked")
    _apply(store, data)
    # A draft may be incomplete: only the fields being changed must be right now (submit checks all).
    errors = {field: messages for field, messages in application_errors(store).items() if field in data}
    if errors:
        raise ValidationFailed(_("请修正标出的字段。"), fields=errors)
    _save_named(store)
    documents_follow_type(store=store, by=by)
    return store


# An ID card uploaded as a person's is the legal representative's once the store becomes a company's.
CARRIED_DOCUMENTS = {
    DocumentKind.ID_FRONT: DocumentKind.LEGAL_ID_FRONT,
    DocumentKind.ID_BACK: DocumentKind.LEGAL_ID_BACK,
    DocumentKind.LEGAL_ID_FRONT: DocumentKind.ID_FRONT,
    DocumentKind.LEGAL_ID_BACK: DocumentKind.ID_BACK,
}


def documents_follow_type(*, store: Store, by: Any) -> list[StoreDocument]:
    """After a change of type: documents the store no longer needs leave the review queue (replaced), and
    an ID card moves to the matching slot of the new type when that slot is empty. Returns the carried ones."""
    required = set(store.required_document_kinds())
    current = list(current_documents(store).select_for_update())
    taken = {d.kind for d in current if d.kind in required}
    carried = []
    for document in current:
        if document.kind in required:
            continue
        target = CARRIED_DOCUMENTS.get(DocumentKind(document.kind))
        transition(document, "replace", by=by, reason=_("店铺类型变更，不再需要此资料"))
        if target is not None and str(target) in required and str(target) not in taken and not document.is_rejected:
            taken.add(str(target))
            carried.append(
                StoreDocument.objects.create(
                    store=store,
                    kind=target,
                    file=document.file.name,
                    original_name=document.original_name,
                    content_type=document.content_type,
                    size=document.size,
                    uploaded_by=document.uploaded_by,
                )
            )
    return carried


def _save_named(store: Store) -> None:
    """Save; a name taken by a concurrent application (unique constraint) is a field error, not a 500."""
    try:
        with transaction.atomic():
            store.save()
    except IntegrityError:
        raise ValidationFailed(_("请修正标出的字段。"), fields={"name": [_("该店铺名称已被使用。")]})


def sniff_content_type(upload: UploadedFile) -> str:
    """jpg/png/pdf by content (and a matching extension), images must decode. Raises ValidationFailed."""
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    content_type = next((ct for sig, ct in SIGNATURES.items() if head.startswith(sig)), None)
    name = (upload.name or "").lower()
    if content_type is None or not name.endswith(EXTENSIONS[content_type]):
        raise ValidationFailed(
            _("只支持 JPG、PNG 图片或 PDF 文件（按文件内容识别）。"),
            code="bad_file_type",
            fields={"file": [_("只支持 JPG、PNG 图片或 PDF 文件（按文件内容识别）。")]},
        )
    if content_type.startswith("image/"):
        try:
            with Image.open(upload) as image:
                image.verify()
        except Exception:
            raise ValidationFailed(
                _("图片已损坏或无法识别。"), code="bad_file_type", fields={"file": [_("图片已损坏或无法识别。")]}
            )
        finally:
            upload.seek(0)
    return content_type


def _trademark_details(kind: str, trademark_status: str, filed_on: date | None) -> tuple[str, date | None]:
    """A trademark is registered (the default) or under application since a filing date (not in the future)."""
    if kind != DocumentKind.TRADEMARK:
        return "", None
    trademark_status = trademark_status or TrademarkStatus.REGISTERED
    if trademark_status not in TrademarkStatus.values:
        raise ValidationFailed(_("请选择商标状态。"), fields={"trademark_status": [_("请选择商标状态。")]})
    if trademark_status == TrademarkStatus.REGISTERED:
        return trademark_status, None
    if filed_on is None or filed_on > timezone.localdate():
        message = _("申请中的商标请填写申请日期（不晚于今天）。")
        raise ValidationFailed(message, fields={"filed_on": [message]})
    return trademark_status, filed_on


def trademark_window() -> tuple[int, int]:
    """Months after filing during which a trademark under application counts (settings)."""
    return settings.STORE_TRADEMARK_APPLYING_MIN_MONTHS, settings.STORE_TRADEMARK_APPLYING_MAX_MONTHS


def trademark_age_errors(store: Store) -> list[str]:
    """A trademark under application counts only within its window after filing (DOMAIN.md: Stores)."""
    low, high = trademark_window()
    today = timezone.localdate()
    for document in current_documents(store).filter(
        kind=DocumentKind.TRADEMARK, trademark_status=TrademarkStatus.APPLYING
    ):
        filed = document.filed_on
        if filed is None or not (filed + relativedelta(months=low) <= today <= filed + relativedelta(months=high)):
            return [
                _("申请中的商标须在申请日期后 %(low)d 个月至 %(high)d 个月之间，请上传商标注册证或更换商标。")
                % {"low": low, "high": high}
            ]
    return []


@transaction.atomic
def document_upload(
    *,
    store: Store,
    kind: str,
    file: UploadedFile,
    by: Any,
    trademark_status: str = "",
    filed_on: date | None = None,
    sealed: bool = False,
) -> StoreDocument:
    """Upload (or replace) one required document of an editable application; the old one becomes `replaced`.
    A trademark says whether it is registered or under application (with its filing date); an enterprise
    confirms that each copy of a company document carries its seal."""
    store = Store.objects.select_for_update().get(pk=store.pk)
    if not store.is_editable():
        raise IllegalTransition(_("申请已提交，当前状态不能修改资料。"), code="application_locked")
    if kind not in store.required_document_kinds():
        raise ValidationFailed(
            _("该店铺类型不需要这项资料。"),
            code="document_not_required",
            fields={"kind": [_("该店铺类型不需要这项资料。")]},
        )
    limit = document_max_bytes()
    if file.size is None or file.size <= 0 or file.size > limit:
        message = _("文件大小须在 %(mb)d MB 以内且不能为空。") % {"mb": limit // (1024 * 1024)}
        raise ValidationFailed(message, code="bad_file_size", fields={"file": [message]})
    trademark_status, filed_on = _trademark_details(kind, trademark_status, filed_on)
    content_type = sniff_content_type(file)
    sealed_kind = kind in store.sealed_document_kinds()
    if sealed_kind and not sealed:
        message = _("企业资料的复印件须加盖公司公章，请确认已盖章后上传。")
        raise ValidationFailed(message, code="seal_required", fields={"sealed": [message]})
    previous = (
        StoreDocument.objects.select_for_update().filter(store=store, kind=kind).exclude(status="replaced").first()
    )
    if previous is not None:
        transition(previous, "replace", by=by, reason=_("商家重新上传"))
    return StoreDocument.objects.create(
        store=store,
        kind=kind,
        file=file,
        original_name=(file.name or "")[-200:],
        content_type=content_type,
        size=file.size,
        uploaded_by=user_of(by),
        trademark_status=trademark_status,
        filed_on=filed_on,
        sealed=sealed and sealed_kind,
    )


def unsealed_documents(store: Store) -> list[str]:
    """An enterprise's current copies of company documents not confirmed as sealed (e.g. carried over from
    another store type)."""
    kinds = store.sealed_document_kinds()
    return [d.kind for d in current_documents(store) if d.kind in kinds and not d.sealed]


def missing_documents(store: Store) -> list[str]:
    """Required kinds without a usable upload (missing, or rejected and not yet replaced)."""
    usable = {d.kind for d in current_documents(store) if d.status != DocumentStatus.REJECTED}
    return [kind for kind in store.required_document_kinds() if kind not in usable]


@transaction.atomic
def store_submit(*, store: Store, by: Any) -> Store:
    """Submit (or resubmit) the application for review; notifies the merchant with the expected date."""
    store = Store.objects.select_for_update().get(pk=store.pk)
    require_transition(store, "submit")
    require_action(store, by, "submit")
    errors = application_errors(store)
    missing = missing_documents(store)
    if missing:
        labels = dict(DocumentKind.choices)
        errors["documents"] = [_("缺少或需重新上传：%(doc)s") % {"doc": labels[k]} for k in missing]
    trademark = trademark_age_errors(store)
    if trademark:
        errors.setdefault("documents", []).extend(trademark)
    unsealed = unsealed_documents(store)
    if unsealed:
        labels = dict(DocumentKind.choices)
        errors.setdefault("documents", []).extend(
            _("%(doc)s须加盖公司公章后重新上传") % {"doc": labels[k]} for k in unsealed
        )
    for field, messages in quota_errors(store).items():
        errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationFailed(_("申请资料不完整，请补充后再提交。"), code="application_incomplete", fields=errors)
    resubmission = store.status == StoreStatus.REJECTED
    transition(store, "submit", by=by, reason=_("重新提交") if resubmission else "")
    expected = expected_review_date(store)
    emit(
        type="store.status_changed",
        store_id=store.pk,
        title=_("开店申请已提交"),
        body=_("预计 %(date)s 前完成审核。") % {"date": expected.isoformat() if expected else "—"},
        url=_store_url(),
        data={"status": store.status},
    )
    return store


def _lock_quota_keys(store: Store) -> None:
    """Serialise submissions and approvals competing for the same brand or licence and category (advisory
    transaction locks: two first applications have no row to lock yet)."""
    keys = [f"store-licence:{store.credit_code}:{store.main_category_id}"] if store.is_enterprise else []
    if store.enterprise_kind == EnterpriseKind.FLAGSHIP:
        keys.append(f"store-flagship:{store.brand_name.strip().lower()}")
    if connection.vendor != "postgresql":
        return  # SQLite (the zero-setup `make run`) writes one transaction at a time: nothing to serialise
    with connection.cursor() as cursor:
        for key in sorted(keys):
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [key])


def quota_errors(store: Store, *, approving: bool = False) -> dict[str, list[str]]:
    """One flagship per brand, at most N enterprise stores per licence and main category (settings). At
    submission the other stores count unless draft, rejected or closed; at approval only those already
    approved (so the first approved of two pending applications wins). Takes the locks that make the count
    race-safe."""
    if not store.is_enterprise:
        return {}
    _lock_quota_keys(store)
    ignored = [StoreStatus.DRAFT, StoreStatus.REJECTED, StoreStatus.CLOSED]
    if approving:
        ignored.append(StoreStatus.SUBMITTED)
    counting = Store.objects.exclude(pk=store.pk).exclude(status__in=ignored)
    errors: dict[str, list[str]] = {}
    flagships = settings.STORE_FLAGSHIPS_PER_BRAND
    brand_flagships = counting.filter(
        enterprise_kind=EnterpriseKind.FLAGSHIP, brand_name__iexact=store.brand_name.strip()
    )
    if store.enterprise_kind == EnterpriseKind.FLAGSHIP and brand_flagships.count() >= flagships:
        errors["brand_name"] = [
            _("品牌“%(brand)s”已有 %(n)d 家旗舰店，每个品牌最多 %(n)d 家。")
            % {"brand": store.brand_name, "n": flagships}
        ]
    limit = settings.STORE_ENTERPRISES_PER_LICENCE_CATEGORY
    same_licence = counting.filter(
        store_type=StoreType.ENTERPRISE, credit_code=store.credit_code, main_category_id=store.main_category_id
    )
    if same_licence.count() >= limit:
        errors["credit_code"] = [
            _("同一营业执照在主营类目“%(category)s”下最多开 %(n)d 家企业店，已达上限。")
            % {"category": store.main_category, "n": limit}
        ]
    return errors


# Review -------------------------------------------------------------------------------------------


@transaction.atomic
def store_approve(*, store: Store, by: Any, note: str = "") -> Store:
    """Approve an application: every pending document is approved; the merchant is notified."""
    require_perm(by, "shop.review_store")
    store = Store.objects.select_for_update().get(pk=store.pk)
    require_transition(store, "approve")
    require_action(store, by, "review")
    quota = quota_errors(store, approving=True)
    if quota:
        raise ValidationFailed(" ".join(m for ms in quota.values() for m in ms), code="store_quota", fields=quota)
    for document in current_documents(store).select_for_update().filter(status=DocumentStatus.PENDING):
        _review(document, "approve", by=by)
    store.reviewed_by = user_of(by)
    store.status_reason = note
    transition(store, "approve", by=by, reason=note)
    emit(
        type="store.review_result",
        store_id=store.pk,
        title=_("开店审核通过"),
        body=_("店铺“%(name)s”已通过审核，请缴纳保证金。") % {"name": store.name},
        url=_store_url(),
        data={"result": "approved"},
    )
    return store


@transaction.atomic
def store_reject(*, store: Store, reasons: dict[str, str], by: Any, note: str = "") -> Store:
    """Reject with a reason per document kind; the other pending documents count as approved."""
    require_perm(by, "shop.review_store")
    store = Store.objects.select_for_update().get(pk=store.pk)
    require_transition(store, "reject")
    require_action(store, by, "review")
    documents = {d.kind: d for d in current_documents(store).select_for_update()}
    reasons = {kind: (reason or "").strip() for kind, reason in reasons.items() if (reason or "").strip()}
    unknown = [kind for kind in reasons if kind not in documents]
    if not reasons or unknown:
        raise ValidationFailed(
            _("驳回时请至少为一份资料填写原因。"),
            code="reasons_required",
            fields={"reasons": [_("驳回时请至少为一份资料填写原因。")]},
        )
    for kind, document in documents.items():
        if kind in reasons:
            document.review_reason = reasons[kind][:200]
            _review(document, "reject", by=by, reason=reasons[kind])
        elif document.status == DocumentStatus.PENDING:
            _review(document, "approve", by=by)
    labels = dict(DocumentKind.choices)
    summary = "；".join(f"{labels[k]}：{r}" for k, r in reasons.items())
    store.reviewed_by = user_of(by)
    store.status_reason = note or summary
    transition(store, "reject", by=by, reason=summary, data={"reasons": reasons})
    emit(
        type="store.review_result",
        store_id=store.pk,
        title=_("开店审核未通过"),
        body=_("请按原因修改后重新提交：%(reasons)s") % {"reasons": summary},
        url=_store_url(),
        data={"result": "rejected", "reasons": reasons},
    )
    return store


def _review(document: StoreDocument, name: str, *, by: Any, reason: str = "") -> None:
    document.reviewed_by = user_of(by)
    transition(document, name, by=by, reason=reason)


# Agreement and opening ---------------------------------------------------------------------------


@transaction.atomic
def store_sign_agreement(
    *, store: Store, version: AgreementVersion, by: User, ip_address: str, user_agent: str = ""
) -> Store:
    """The owner signs the current agreement version (recorded with time and IP); the store then opens."""
    store = Store.objects.select_for_update().get(pk=store.pk)
    require_transition(store, "sign_agreement")
    require_owner(store, by)
    require_action(store, by, "sign_agreement")
    current = current_agreement()
    if current is None or current.pk != version.pk:
        raise Conflict(_("协议已更新，请阅读最新版本后再签署。"), code="agreement_outdated")
    signer = user_of(by)
    assert signer is not None  # require_owner found this user's membership
    AgreementSignature.objects.create(
        store=store, version=version, signer=signer, ip_address=ip_address, user_agent=user_agent[:300]
    )
    transition(store, "sign_agreement", by=by, reason=version.version, data={"ip": ip_address})
    transition(store, "open", by=by)
    emit(
        type="store.status_changed",
        store_id=store.pk,
        title=_("店铺已开业"),
        body=_("店铺“%(name)s”已开业，可以发布商品了。") % {"name": store.name},
        url=_store_url(),
        data={"status": store.status},
    )
    return store


# Staff: suspend, reinstate, close ----------------------------------------------------------------


@transaction.atomic
def store_suspend(*, store: Store, reason: str, by: Any) -> Store:
    """Suspend an open store (reason required); the merchant is notified."""
    require_perm(by, "shop.suspend_store")
    store = Store.objects.select_for_update().get(pk=store.pk)
    require_transition(store, "suspend")
    require_action(store, by, "suspend")
    if not (reason or "").strip():
        raise ValidationFailed(_("请填写暂停原因。"), fields={"reason": [_("请填写暂停原因。")]})
    store.status_reason = reason.strip()
    transition(store, "suspend", by=by, reason=reason.strip())
    _notify_status(store, _("店铺已被暂停经营"), reason.strip())
    return store


@transaction.atomic
def store_reinstate(*, store: Store, by: Any, reason: str = "") -> Store:
    """Reopen a suspended store."""
    require_perm(by, "shop.suspend_store")
    store = Store.objects.select_for_update().get(pk=store.pk)
    require_transition(store, "reinstate")
    require_action(store, by, "reinstate")
    transition(store, "reinstate", by=by, reason=reason)
    _notify_status(store, _("店铺已恢复经营"), reason)
    return store


def close_blockers(store: Store) -> list[str]:
    """Why the store cannot close yet: products on sale, unfinished orders (DOMAIN.md: deposit refund)."""
    blockers = []
    on_sale = Product.objects.filter(store=store, status=ProductStatus.ON_SALE).count()
    if on_sale:
        blockers.append(_("还有 %(n)d 件在售商品，请先全部下架。") % {"n": on_sale})
    unfinished = Order.objects.filter(store=store, status__in=UNFINISHED_ORDER_STATUSES).count()
    if unfinished:
        blockers.append(_("还有 %(n)d 个未完成的订单。") % {"n": unfinished})
    return blockers


@transaction.atomic
def store_close(*, store: Store, reason: str, by: Any) -> Store:
    """Start closing an open or suspended store: it is closing and its deposit refund goes to finance's review
    (shop.services.deposit.deposit_refund_open); approving the refund closes it."""
    from .deposit import deposit_refund_open

    require_perm(by, "shop.settle_deposit")
    store = Store.objects.select_for_update().get(pk=store.pk)
    require_transition(store, "start_closing")
    require_action(store, by, "close")
    if not (reason or "").strip():
        raise ValidationFailed(_("请填写关店原因。"), fields={"reason": [_("请填写关店原因。")]})
    blockers = close_blockers(store)
    if blockers:
        raise Conflict(" ".join(blockers), code="store_not_settled")
    store.status_reason = reason.strip()
    transition(store, "start_closing", by=by, reason=reason.strip())
    deposit_refund_open(store=store, by=by)
    _notify_status(store, _("店铺关店中，保证金退还审核中"), reason.strip())
    return store


def _notify_status(store: Store, title: str, body: str) -> None:
    emit(
        type="store.status_changed",
        store_id=store.pk,
        title=title,
        body=body,
        url=_store_url(),
        data={"status": store.status, "reason": body},
    )


# Team -------------------------------------------------------------------------------------------


@transaction.atomic
def membership_invite(*, store: Store, user_ref: str, by: User) -> Membership:
    """The owner adds an existing user (by username or email) as an operator of the store."""
    require_owner(store, by)
    user_ref = (user_ref or "").strip()
    user = User.objects.filter(Q(username=user_ref) | Q(email__iexact=user_ref), is_active=True).first()
    if not user_ref or user is None:
        raise ValidationFailed(
            _("没有找到该用户名或邮箱的账号。"), fields={"user": [_("没有找到该用户名或邮箱的账号。")]}
        )
    if Membership.objects.filter(store=store, user=user).exists():
        raise Conflict(_("该用户已是店铺成员。"), code="already_member")
    membership = Membership.objects.create(store=store, user=user, role=Role.OPERATOR)
    audit_record(membership, "create", by=by, reason=user.get_username(), data={"role": Role.OPERATOR})
    emit(
        type="store.member_added",
        store_id=store.pk,
        title=_("您已被添加为店铺运营"),
        body=_("店铺“%(name)s”邀请您协助运营。") % {"name": store.name},
        url=reverse("home"),
        data={"user_id": user.pk, "role": Role.OPERATOR},
        user_ids=[user.pk],
    )
    return membership
