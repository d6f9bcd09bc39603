"""Every write of the catalogue: products and their SKU matrix, shelf transitions, stock, images, CSV import."""

from __future__ import annotations

import csv
import io
import itertools
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django_fsm import can_proceed
from PIL import Image, UnidentifiedImageError

from portal.actions import require_action
from portal.audit import audit_record
from portal.bounds import INT_MAX, parse_id
from portal.exceptions import Conflict, DomainError, ValidationFailed
from portal.fsm import transition
from shop.models import Category, OrderItem, Product, ProductImage, ProductStatus, Sku, Store
from shop.models.catalog import SERVICE_FLAGS
from shop.models.promotions import DiscountKind, PromotionStatus

PRODUCT_FIELDS = (
    "title",
    "category",
    "brand",
    "description",
    "spec_attributes",
    "is_fresh",
    "is_frozen",
    "is_bulky",
    "is_fragile",
    "is_cross_border",
    *SERVICE_FLAGS,
    "ship_within_hours",
    "seven_day_return",
    "group_size",
    "per_buyer_limit",
    "per_order_limit",
)
SKU_FIELDS = ("code", "price", "group_price", "stock", "weight_g", "length_mm", "width_mm", "height_mm")
IMAGE_FORMATS = {"JPEG", "PNG", "WEBP"}
IMAGE_MAX_BYTES = 5 * 1024 * 1024
IMAGES_PER_PRODUCT = 10
THUMBNAIL_SIZE = (240, 240)
CSV_COLUMNS = ["sku_code", "product_title", "category", "brand", "spec", "price", "group_price", "stock", "weight_g"]
CSV_MAX_ROWS = 2000


def require_open_store(store: Store) -> None:
    if not store.is_open():
        raise Conflict(_("只有营业中的店铺可以发布和上架商品。"), code="store_not_open")


def _full_clean(product: Product) -> None:
    try:
        product.full_clean(exclude=["store", "status"])
    except DjangoValidationError as exc:
        raise ValidationFailed(_("商品信息有误。"), fields=exc.message_dict)


def spec_combinations(spec_attributes: list[dict]) -> list[dict]:
    """The SKU matrix of spec attributes: [{"name": "颜色", "values": ["红", "蓝"]}, ...] → one dict per SKU."""
    attributes = [a for a in spec_attributes if a.get("values")]
    if not attributes:
        return [{}]
    names = [a["name"] for a in attributes]
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*(a["values"] for a in attributes))]


def _spec_key(spec: dict) -> tuple:
    return tuple(sorted((str(k), str(v)) for k, v in spec.items()))


def _validate_skus(store: Store, product: Product | None, skus: list[dict]) -> None:
    expected = {_spec_key(s) for s in spec_combinations(product.spec_attributes if product else [])}
    given = [_spec_key(s.get("spec") or {}) for s in skus]
    if len(set(given)) != len(given) or set(given) != expected:
        raise ValidationFailed(
            _("SKU 必须与规格组合一一对应，请重新生成规格表。"), fields={"skus": [_("规格表与规格不一致。")]}
        )
    codes = [s["code"] for s in skus if s.get("code")]
    if len(set(codes)) != len(codes):
        raise ValidationFailed(_("SKU 编码不能重复。"), fields={"skus": [_("SKU 编码不能重复。")]})
    taken = Sku.objects.filter(product__store=store, code__in=codes)
    if product is not None and product.pk:
        taken = taken.exclude(product=product)
    if clash := taken.values_list("code", flat=True).first():
        raise ValidationFailed(
            _("SKU 编码 %(c)s 已被本店其他商品使用。") % {"c": clash}, fields={"skus": [_("SKU 编码重复。")]}
        )
    for s in skus:
        if not s["price"] or s["price"] <= 0:
            raise ValidationFailed(_("单买价必须大于 0。"), fields={"skus": [_("单买价必须大于 0。")]})
        if s["group_price"] > s["price"]:
            raise ValidationFailed(_("拼团价不能高于单买价。"), fields={"skus": [_("拼团价不能高于单买价。")]})


def _sync_skus(product: Product, skus: list[dict]) -> None:
    existing = {_spec_key(s.spec): s for s in product.skus.select_for_update()}
    wanted = {_spec_key(s["spec"]): s for s in skus}
    gone = [sku for key, sku in existing.items() if key not in wanted]
    if gone and OrderItem.objects.filter(sku__in=gone).exists():
        raise Conflict(_("已有订单的 SKU 不能删除，请保留该规格或将库存设为 0。"), code="sku_has_orders")
    Sku.objects.filter(pk__in=[s.pk for s in gone]).delete()
    for key, data in wanted.items():
        values = {f: data[f] for f in SKU_FIELDS if f in data}
        sku = existing.get(key)
        if sku is None:
            Sku.objects.create(product=product, spec=data["spec"], **values)
        else:
            for name, value in values.items():
                setattr(sku, name, value)
            sku.save()


@transaction.atomic
def product_create(*, store: Store, fields: dict, skus: list[dict], by, images: list | tuple = ()) -> Product:
    """Create a draft product with its SKU matrix (one SKU per spec combination) and, when given, its pictures
    (all or nothing: a bad picture refuses the whole product, field `images`)."""
    require_open_store(store)
    product = Product(store=store, **{k: v for k, v in fields.items() if k in PRODUCT_FIELDS})
    _full_clean(product)
    _validate_skus(store, product, skus)
    product.save()
    _sync_skus(product, skus)
    for upload in images:
        try:
            product_image_add(product=product, upload=upload, by=by)
        except ValidationFailed as exc:
            raise ValidationFailed(
                exc.message, code=exc.code, fields={"images": exc.fields.get("image", [exc.message])}
            )
    return product


COPY_FIELDS = PRODUCT_FIELDS
SKU_COPY_FIELDS = ("spec", "price", "group_price", "weight_g", "length_mm", "width_mm", "height_mm")


@transaction.atomic
def product_copy(*, product: Product, by) -> Product:
    """复制: a new draft with the product's information, SKUs (stock 0, no codes) and pictures (files copied)."""
    source = Product.objects.select_related("store").prefetch_related("skus", "images").get(pk=product.pk)
    require_open_store(source.store)
    suffix = _("（副本）")
    max_title = Product._meta.get_field("title").max_length or 60
    values = {name: getattr(source, name) for name in COPY_FIELDS}
    values["title"] = source.title[: max_title - len(suffix)] + suffix
    copy = Product(store=source.store, **values)
    _full_clean(copy)
    copy.save()
    for sku in source.skus.all():
        Sku.objects.create(product=copy, stock=0, **{name: getattr(sku, name) for name in SKU_COPY_FIELDS})
    for image in source.images.all():
        duplicate = ProductImage(product=copy, position=image.position)
        for name in ("image", "thumbnail"):
            stored = getattr(image, name)
            try:
                with stored.open("rb") as handle:
                    getattr(duplicate, name).save(
                        stored.name.rsplit("/", 1)[-1], ContentFile(handle.read()), save=False
                    )
            except (FileNotFoundError, OSError):
                setattr(duplicate, name, stored.name)  # the file is gone from storage: keep the reference
        duplicate.save()
    audit_record(copy, "copy", by=by, reason=source.title, data={"from_product": source.pk})
    return copy


def product_image_required() -> bool:
    """Whether a product needs a picture to go on sale (on unless settings.PORTAL_PRODUCT_IMAGE_REQUIRED is off)."""
    return getattr(settings, "PORTAL_PRODUCT_IMAGE_REQUIRED", True)


@transaction.atomic
def product_update(*, product: Product, fields: dict, skus: list[dict] | None, by) -> Product:
    """Edit a product and (when given) replace its SKU matrix; SKUs are matched by spec, so stock is kept."""
    product = Product.objects.select_for_update().select_related("store").get(pk=product.pk)
    require_open_store(product.store)
    for name, value in fields.items():
        if name in PRODUCT_FIELDS:
            setattr(product, name, value)
    _full_clean(product)
    if skus is not None:
        _validate_skus(product.store, product, skus)
    product.save()
    if skus is not None:
        _sync_skus(product, skus)
    return product


@transaction.atomic
def product_put_on_sale(*, product: Product, by, reason: str = "") -> Product:
    """上架: draft or off-shelf → on sale (store open, every SKU priced)."""
    product = Product.objects.select_for_update().select_related("store").get(pk=product.pk)
    require_open_store(product.store)
    require_action(product, by, "put_on_sale")
    if can_proceed(product.put_on_sale) and product_image_required() and not product.images.exists():
        raise Conflict(
            _("商品“%(title)s”还没有图片，请先上传至少一张主图再上架。") % {"title": product.title},
            code="product_without_image",
        )
    return transition(product, "put_on_sale", by=by, reason=reason)


@transaction.atomic
def product_take_off_shelf(*, product: Product, by, reason: str = "") -> Product:
    """下架: on sale → off shelf."""
    product = Product.objects.select_for_update().get(pk=product.pk)
    require_action(product, by, "take_off_shelf")
    return transition(product, "take_off_shelf", by=by, reason=reason)


def products_set_shelf(*, store: Store, product_ids: list[int], on_sale: bool, by) -> tuple[int, list[str]]:
    """Bulk 上架/下架 of some of the store's products: each in its own transaction; returns (done, errors)."""
    action = product_put_on_sale if on_sale else product_take_off_shelf
    done, errors = 0, []
    for product in Product.objects.filter(store=store, pk__in=product_ids):
        try:
            action(product=product, by=by)
            done += 1
        except DomainError as exc:
            errors.append(f"{product.title}: {exc.message}")
    return done, errors


@transaction.atomic
def sku_set_stock(*, sku: Sku, stock: int, by) -> Sku:
    """Set a SKU's stock (ERP sync or the stock page)."""
    if stock < 0:
        raise ValidationFailed(_("库存不能为负数。"), fields={"stock": [_("库存不能为负数。")]})
    sku = Sku.objects.select_for_update().get(pk=sku.pk)
    sku.stock = stock
    sku.save(update_fields=["stock"])
    return sku


@transaction.atomic
def sku_set_price(*, sku: Sku, price: int, group_price: int, by) -> Sku:
    """Change a SKU's prices (staff correction): open store, 0 < group price ≤ price, live discounts stay below."""
    sku = Sku.objects.select_for_update().select_related("product__store").get(pk=sku.pk)
    require_open_store(sku.product.store)
    if price <= 0:
        raise ValidationFailed(_("单买价必须大于 0。"), fields={"price": [_("单买价必须大于 0。")]})
    if not 0 < group_price <= price:
        raise ValidationFailed(_("拼团价不能高于单买价。"), fields={"group_price": [_("拼团价不能高于单买价。")]})
    if sku.discounts.filter(status=PromotionStatus.ACTIVE, kind=DiscountKind.PRICE, price__gte=price).exists():
        raise Conflict(_("该 SKU 有进行中的限时折扣，单买价必须高于活动价。"), code="price_below_discount")
    sku.price, sku.group_price = price, group_price
    sku.save(update_fields=["price", "group_price"])
    return sku


def _image_error(message: str) -> ValidationFailed:
    return ValidationFailed(message, code="bad_image", fields={"image": [message]})


@transaction.atomic
def product_image_add(*, product: Product, upload, by) -> ProductImage:
    """Store an uploaded picture (JPEG/PNG/WEBP, ≤ 5 MB) and its thumbnail made with Pillow."""
    product = Product.objects.select_for_update().get(pk=product.pk)
    if product.images.count() >= IMAGES_PER_PRODUCT:
        raise _image_error(_("每个商品最多 %(n)d 张图片。") % {"n": IMAGES_PER_PRODUCT})
    if upload.size > IMAGE_MAX_BYTES:
        raise _image_error(_("图片不能超过 5 MB。"))
    try:
        upload.seek(0)
        with Image.open(upload) as probe:
            probe.verify()
        upload.seek(0)
        with Image.open(upload) as img:
            img.load()
            if img.format not in IMAGE_FORMATS:
                raise _image_error(_("只支持 JPG、PNG、WEBP 图片。"))
            thumb = img.convert("RGB")
            thumb.thumbnail(THUMBNAIL_SIZE)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise _image_error(_("文件不是有效的图片。"))
    buffer = io.BytesIO()
    thumb.save(buffer, format="JPEG", quality=85)
    upload.seek(0)
    image = ProductImage(product=product, position=product.images.count())
    stem = (upload.name or "image").rsplit("/", 1)[-1].rsplit(".", 1)[0][:40] or "image"
    image.image.save(upload.name.rsplit("/", 1)[-1][:80], upload, save=False)
    image.thumbnail.save(f"{stem}_thumb.jpg", ContentFile(buffer.getvalue()), save=False)
    image.save()
    return image


@transaction.atomic
@transaction.atomic
def product_image_delete(*, image: ProductImage, by) -> None:
    """Remove a picture (audited on its product) and, once committed, its files. An on-sale product keeps at
    least one picture while pictures are required to go on sale."""
    product = Product.objects.select_for_update().get(pk=image.product_id)
    if product_image_required() and product.status == ProductStatus.ON_SALE and product.images.count() <= 1:
        raise _image_error(_("在售商品至少保留一张图片：请先上传新图片，或先下架商品。"))
    files = [image.image, image.thumbnail]
    audit_record(product, "image_delete", by=by, data={"image": image.pk})
    image.delete()
    transaction.on_commit(lambda: [f.delete(save=False) for f in files])


# CSV import ------------------------------------------------------------------------------------------------------


@dataclass
class ImportRow:
    line: int
    sku_code: str
    outcome: str = "error"  # created / updated / error
    errors: list[str] = field(default_factory=list)


def _fen(raw: str, label: str, errors: list[str]) -> int | None:
    try:
        value = Decimal(raw.strip())
    except InvalidOperation:
        errors.append(_("%(f)s不是有效金额：%(v)s") % {"f": label, "v": raw})
        return None
    if value < 0 or value != value.quantize(Decimal("0.01")):
        errors.append(_("%(f)s须为非负金额，最多两位小数：%(v)s") % {"f": label, "v": raw})
        return None
    return int(value * 100)


def _count(raw: str, label: str, errors: list[str]) -> int | None:
    if parse_id(raw, max_value=INT_MAX) is None:
        errors.append(_("%(f)s须为非负整数：%(v)s") % {"f": label, "v": raw})
        return None
    return int(raw.strip())


def parse_spec(raw: str) -> dict:
    """ "颜色:红;尺码:M" → {"颜色": "红", "尺码": "M"} (full-width colons and semicolons accepted)."""
    spec = {}
    for part in raw.replace("；", ";").replace("：", ":").split(";"):
        if part.strip():
            name, sep, value = part.partition(":")
            if not sep or not name.strip() or not value.strip():
                raise ValueError(part)
            spec[name.strip()] = value.strip()
    return spec


def format_spec(spec: dict) -> str:
    return ";".join(f"{k}:{v}" for k, v in spec.items())


def _import_row(store: Store, row: dict, result: ImportRow, categories: dict[str, Category]) -> None:
    errors = result.errors
    values = {}
    for column, label in (("price", _("单买价")), ("group_price", _("拼团价"))):
        if (row.get(column) or "").strip():
            values[column] = _fen(row[column], label, errors)
    for column, label in (("stock", _("库存")), ("weight_g", _("重量"))):
        if (row.get(column) or "").strip():
            values[column] = _count(row[column], label, errors)
    if errors:
        return
    sku = Sku.objects.select_for_update().filter(product__store=store, code=result.sku_code).first()
    if sku is not None:
        for name, value in values.items():
            setattr(sku, name, value)
        if sku.group_price > sku.price:
            errors.append(_("拼团价不能高于单买价。"))
            return
        sku.save()
        result.outcome = "updated"
        return
    title = (row.get("product_title") or "").strip()
    category = categories.get((row.get("category") or "").strip())
    if not title:
        errors.append(_("新 SKU 需要商品标题。"))
    if category is None:
        errors.append(_("类目不存在：%(c)s") % {"c": row.get("category") or ""})
    for column, label in (("price", _("单买价")), ("group_price", _("拼团价")), ("stock", _("库存"))):
        if column not in values:
            errors.append(_("新 SKU 需要%(f)s。") % {"f": label})
    try:
        spec = parse_spec(row.get("spec") or "")
    except ValueError as exc:
        errors.append(_("规格格式应为 颜色:红;尺码:M，有误：%(p)s") % {"p": exc})
        spec = {}
    if errors:
        return
    price, group_price = values["price"], values["group_price"]
    if not price or group_price is None or group_price > price:
        errors.append(_("单买价必须大于 0，拼团价不能高于单买价。"))
        return
    product = Product.objects.select_for_update().filter(store=store, title=title).first()
    if product is None:
        product = Product(store=store, title=title, category=category, brand=(row.get("brand") or "").strip())
        product.full_clean(exclude=["store", "status"])
        product.save()
    elif any(_spec_key(s.spec) == _spec_key(spec) for s in product.skus.all()):
        errors.append(_("商品“%(t)s”已有规格 %(s)s 的 SKU（编码不同）。") % {"t": title, "s": format_spec(spec)})
        return
    attributes = {a["name"]: list(a["values"]) for a in product.spec_attributes}
    for name, value in spec.items():
        if value not in attributes.setdefault(name, []):
            attributes[name].append(value)
    product.spec_attributes = [{"name": n, "values": v} for n, v in attributes.items()]
    product.save(update_fields=["spec_attributes", "updated_at"])
    Sku.objects.create(product=product, code=result.sku_code, spec=spec, **values)
    result.outcome = "created"


def products_import_csv(*, store: Store, file, by) -> list[ImportRow]:
    """Import products and stock from CSV (columns CSV_COLUMNS; prices in yuan).

    A row whose sku_code exists updates that SKU's prices, stock and weight; otherwise it creates the SKU and,
    if needed, a draft product. Each row applies completely or not at all; every row's outcome is reported.
    """
    require_open_store(store)
    try:
        text = file.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed(
            _("文件必须是 UTF-8 编码的 CSV。"), fields={"file": [_("文件必须是 UTF-8 编码的 CSV。")]}
        )
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in ("sku_code", "price", "stock") if c not in (reader.fieldnames or [])]
    if missing:
        msg = _("缺少列：%(c)s") % {"c": ", ".join(missing)}
        raise ValidationFailed(msg, fields={"file": [msg]})
    rows = list(reader)
    if not rows:
        raise ValidationFailed(_("文件中没有数据行。"), fields={"file": [_("文件中没有数据行。")]})
    if len(rows) > CSV_MAX_ROWS:
        msg = _("一次最多导入 %(n)d 行。") % {"n": CSV_MAX_ROWS}
        raise ValidationFailed(msg, fields={"file": [msg]})
    categories = {}
    for category in Category.objects.all():
        categories[category.code] = categories[str(category.name)] = category
    report = []
    for number, row in enumerate(rows, start=2):
        result = ImportRow(line=number, sku_code=(row.get("sku_code") or "").strip())
        report.append(result)
        if not result.sku_code:
            result.errors.append(_("缺少 SKU 编码。"))
            continue
        try:
            with transaction.atomic():
                _import_row(store, row, result, categories)
                if result.errors:
                    raise _RowFailed
        except _RowFailed:
            result.outcome = "error"
        except (DomainError, IntegrityError) as exc:
            result.outcome = "error"
            result.errors.append(getattr(exc, "message", None) or _("数据冲突，该行未导入。"))
        except DjangoValidationError as exc:
            result.outcome = "error"
            result.errors.extend(exc.messages)
    return report


class _RowFailed(Exception):
    """Rolls back the savepoint of a row that collected errors."""
