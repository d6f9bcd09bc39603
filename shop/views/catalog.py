"""Merchant pages: catalog (product list, create/edit with SKU matrix, stock, images, CSV import/export)."""

from __future__ import annotations

import csv

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views import View

from portal.actors import merchant_actor
from portal.bounds import parse_id
from portal.exceptions import DomainError
from portal.fsm import audit_for
from portal.redirects import safe_next
from portal.tenancy import MerchantMixin
from shop.forms.catalog import (
    MAX_SKUS,
    BulkShelfForm,
    ImageUploadForm,
    ImportForm,
    ProductFilterForm,
    ProductForm,
    SkuFormSet,
    SkuRowForm,
    StockForm,
    matrix_initial,
    parse_specs,
)
from shop.models import Product, ProductImage, ProductStatus
from shop.selectors.catalog import (
    product_categories,
    product_for_store,
    product_status_counts,
    products_export_rows,
    products_for_store,
)
from shop.services.catalog import (
    CSV_COLUMNS,
    product_copy,
    product_create,
    product_image_add,
    product_image_delete,
    product_put_on_sale,
    product_take_off_shelf,
    product_update,
    products_import_csv,
    products_set_shelf,
    sku_set_stock,
)

PAGE_SIZE = 20


def attach_error(form: forms.BaseForm, exc: DomainError) -> None:
    """Show a service's error on the form: on its fields when it names them, else on top."""
    placed = False
    for name, errors in exc.fields.items():
        if name in form.fields:
            for error in errors:
                form.add_error(name, error)
            placed = True
    if not placed:
        form.add_error(None, exc.message)


def _back(request):
    """Redirect to the local `next` the page posted, if any."""
    target = safe_next(request, None)
    return redirect(target) if target else None


class ProductListView(MerchantMixin, View):
    def get(self, request):
        q = request.GET.get("q", "").strip()
        status = request.GET.get("status", "")
        if status not in ProductStatus.values:
            status = ""
        filters = ProductFilterForm(request.GET, categories=product_categories(self.store))
        chosen = filters.cleaned_data if filters.is_valid() else {}
        products = products_for_store(
            self.store,
            q=q,
            status=status,
            category=chosen["category"].pk if chosen.get("category") else None,
            stock=chosen.get("stock") or "",
            price_min=chosen.get("price_min"),
            price_max=chosen.get("price_max"),
            sort=chosen.get("sort") or "",
        )
        page = Paginator(products, PAGE_SIZE).get_page(request.GET.get("page"))
        tabs = [("", _("全部"))] + [(s.value, s.label) for s in ProductStatus]
        counts = product_status_counts(self.store)
        keep = request.GET.copy()
        keep.pop("status", None)
        keep.pop("page", None)
        return render(
            request,
            "shop/catalog/product_list.html",
            {
                "page": page,
                "q": q,
                "status": status,
                "filters": filters,
                "keep_query": keep.urlencode(),
                "tabs": [(v, label, counts[v]) for v, label in tabs],
            },
        )


class ProductCopyView(MerchantMixin, View):
    """复制: a new draft from a product, opened for editing."""

    def post(self, request, pk):
        product = product_for_store(self.store, pk)
        try:
            copy = product_copy(product=product, by=merchant_actor(request))
        except DomainError as exc:
            messages.error(request, exc.message)
            return _back(request) or redirect("shop:product_list")
        messages.success(request, _("已复制为新草稿“%(title)s”，请修改后保存。") % {"title": copy.title})
        return redirect("shop:product_edit", pk=copy.pk)


class ProductBulkView(MerchantMixin, View):
    def post(self, request):
        form = BulkShelfForm(request.POST)
        if not form.is_valid():
            messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
            return redirect("shop:product_list")
        on_sale = form.cleaned_data["action"] == "on_sale"
        done, errors = products_set_shelf(
            store=self.store, product_ids=form.cleaned_data["ids"], on_sale=on_sale, by=merchant_actor(request)
        )
        if done:
            messages.success(
                request, _("已%(a)s %(n)d 个商品。") % {"a": _("上架") if on_sale else _("下架"), "n": done}
            )
        for error in errors:
            messages.error(request, error)
        return _back(request) or redirect("shop:product_list")


def _posted_rows(data) -> list[dict]:
    """The SKU rows as posted (raw strings), to keep what the merchant typed when the matrix is regenerated."""
    total = min(parse_id(data.get("form-TOTAL_FORMS", "0")) or 0, MAX_SKUS)  # never loop on a forged count
    rows = []
    for i in range(total):
        rows.append({name: data.get(f"form-{i}-{name}", "") for name in SkuRowForm.base_fields})
    return rows


class ProductFormView(MerchantMixin, View):
    template_name = "shop/catalog/product_form.html"

    def dispatch(self, request, *args, **kwargs):
        # 发布商品 is refused up front, before the merchant fills a form the service would refuse anyway.
        store = getattr(request, "store", None)
        if request.user.is_authenticated and store is not None and not store.is_open():
            messages.error(request, _("店铺开业后才能发布和编辑商品。请先完成开店流程。"))
            return redirect("shop:store_detail" if not store.has_opened() else "shop:product_list")
        return super().dispatch(request, *args, **kwargs)

    def get_product(self, pk) -> Product | None:
        return product_for_store(self.store, pk) if pk else None

    def render_form(self, form, formset, product):
        return render(self.request, self.template_name, {"form": form, "formset": formset, "product": product})

    def get(self, request, pk=None):
        product = self.get_product(pk)
        form = ProductForm(instance=product)
        skus = list(product.skus.all()) if product else []
        formset = SkuFormSet(initial=matrix_initial(product.spec_attributes if product else [], skus))
        return self.render_form(form, formset, product)

    def post(self, request, pk=None):
        product = self.get_product(pk)
        form = ProductForm(request.POST, request.FILES, instance=product)
        if "regenerate" in request.POST:
            return self.render_form(form, _regenerated(request.POST), product)
        formset = SkuFormSet(request.POST)
        if not (form.is_valid() and formset.is_valid()):
            return self.render_form(form, formset, product)
        skus = [row for row in formset.cleaned_data if row]
        try:
            if product is None:
                product = product_create(
                    store=self.store,
                    fields=form.product_fields(),
                    skus=skus,
                    images=form.cleaned_data.get("images") or [],
                    by=merchant_actor(request),
                )
                messages.success(request, _("商品已创建（草稿）。"))
            else:
                product_update(product=product, fields=form.product_fields(), skus=skus, by=merchant_actor(request))
                messages.success(request, _("商品已保存。"))
        except DomainError as exc:
            attach_error(form, exc)
            return self.render_form(form, formset, product)
        return redirect("shop:product_detail", pk=product.pk)


def _regenerated(data) -> SkuFormSet:
    try:
        attributes = parse_specs(data.get("specs", ""))
    except forms.ValidationError:
        attributes = []
    return SkuFormSet(initial=matrix_initial(attributes, _posted_rows(data)))


class SkuMatrixView(MerchantMixin, View):
    """htmx: the SKU matrix for the specs being typed, keeping the values already entered."""

    def post(self, request):
        try:
            parse_specs(request.POST.get("specs", ""))
        except forms.ValidationError as exc:
            return render(request, "shop/catalog/_sku_matrix.html", {"formset": None, "spec_error": exc.messages[0]})
        return render(request, "shop/catalog/_sku_matrix.html", {"formset": _regenerated(request.POST)})


class ProductDetailView(MerchantMixin, View):
    def get(self, request, pk):
        product = product_for_store(self.store, pk)
        return render(
            request,
            "shop/catalog/product_detail.html",
            {"product": product, "image_form": ImageUploadForm(), "timeline": audit_for(product)},
        )


class ProductTransitionView(MerchantMixin, View):
    actions = {"on_sale": product_put_on_sale, "off_shelf": product_take_off_shelf}

    def post(self, request, pk, action):
        product = product_for_store(self.store, pk)
        service = self.actions.get(action)
        if service is None:
            messages.error(request, _("操作无效。"))
            return redirect("shop:product_detail", pk=pk)
        try:
            service(product=product, by=merchant_actor(request), reason=request.POST.get("reason", "")[:200])
            messages.success(request, _("商品已上架。") if action == "on_sale" else _("商品已下架。"))
        except DomainError as exc:
            messages.error(request, exc.message)
        return _back(request) or redirect("shop:product_detail", pk=pk)


class ProductStockView(MerchantMixin, View):
    def get(self, request, pk):
        product = product_for_store(self.store, pk)
        form = StockForm(skus=list(product.skus.all()))
        return render(request, "shop/catalog/product_stock.html", {"product": product, "form": form})

    def post(self, request, pk):
        product = product_for_store(self.store, pk)
        form = StockForm(request.POST, skus=list(product.skus.all()))
        if not form.is_valid():
            return render(request, "shop/catalog/product_stock.html", {"product": product, "form": form})
        changed = form.changed_stock()
        for sku, stock in changed:
            sku_set_stock(sku=sku, stock=stock, by=merchant_actor(request))
        messages.success(request, _("已更新 %(n)d 个 SKU 的库存。") % {"n": len(changed)})
        return redirect("shop:product_detail", pk=pk)


class ProductImageAddView(MerchantMixin, View):
    def post(self, request, pk):
        product = product_for_store(self.store, pk)
        form = ImageUploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                product_image_add(product=product, upload=form.cleaned_data["image"], by=merchant_actor(request))
                messages.success(request, _("图片已上传。"))
                return redirect("shop:product_detail", pk=pk)
            except DomainError as exc:
                attach_error(form, exc)
        return render(
            request,
            "shop/catalog/product_detail.html",
            {"product": product, "image_form": form, "timeline": audit_for(product)},
            status=400,
        )


class ProductImageDeleteView(MerchantMixin, View):
    def post(self, request, pk, image_pk):
        image = get_object_or_404(ProductImage, pk=image_pk, product_id=pk, product__store=self.store)
        try:
            product_image_delete(image=image, by=merchant_actor(request))
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("图片已删除。"))
        return redirect("shop:product_detail", pk=pk)


class ProductImportView(MerchantMixin, View):
    template_name = "shop/catalog/product_import.html"

    def get(self, request):
        return render(request, self.template_name, {"form": ImportForm(), "report": None})

    def post(self, request):
        form = ImportForm(request.POST, request.FILES)
        report = None
        if form.is_valid():
            try:
                report = products_import_csv(
                    store=self.store, file=form.cleaned_data["file"], by=merchant_actor(request)
                )
            except DomainError as exc:
                attach_error(form, exc)
        summary = {}
        for row in report or []:
            summary[row.outcome] = summary.get(row.outcome, 0) + 1
        return render(
            request,
            self.template_name,
            {"form": form, "report": report, "summary": summary},
            status=200 if report is not None else 400,
        )


class _Echo:
    def write(self, value: str) -> str:
        return value


class ProductExportView(MerchantMixin, View):
    def get(self, request):
        writer = csv.DictWriter(_Echo(), fieldnames=CSV_COLUMNS)

        def rows():
            yield "\ufeff" + writer.writeheader()
            for row in products_export_rows(self.store):
                yield writer.writerow(row)

        response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="products.csv"'
        return response


urlpatterns: list = [
    path("products/", ProductListView.as_view(), name="product_list"),
    path("products/new/", ProductFormView.as_view(), name="product_create"),
    path("products/bulk/", ProductBulkView.as_view(), name="product_bulk"),
    path("products/sku-matrix/", SkuMatrixView.as_view(), name="product_sku_matrix"),
    path("products/import/", ProductImportView.as_view(), name="product_import"),
    path("products/export.csv", ProductExportView.as_view(), name="product_export"),
    path("products/<int:pk>/", ProductDetailView.as_view(), name="product_detail"),
    path("products/<int:pk>/edit/", ProductFormView.as_view(), name="product_edit"),
    path("products/<int:pk>/copy/", ProductCopyView.as_view(), name="product_copy"),
    path("products/<int:pk>/stock/", ProductStockView.as_view(), name="product_stock"),
    path("products/<int:pk>/images/", ProductImageAddView.as_view(), name="product_image_add"),
    path(
        "products/<int:pk>/images/<int:image_pk>/delete/", ProductImageDeleteView.as_view(), name="product_image_delete"
    ),
    path("products/<int:pk>/<slug:action>/", ProductTransitionView.as_view(), name="product_transition"),
]
