"""API: the caller's own store and its onboarding application (create, update, documents, submit),
the deposit ledger and deposit payment. Everything acts on the request's store (API key or session)."""

from __future__ import annotations

from django.http import Http404
from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.actors import merchant_actor
from portal.api.idempotency import IdempotentMixin
from portal.api.permissions import AuthenticatedOnly, request_store
from portal.api.routing import route
from portal.exceptions import PermissionDenied
from portal.models import ApiKey, User
from portal.payments.services import checkout_url
from portal.tenancy import SESSION_KEY
from shop.models import (
    Category,
    DepositEntry,
    DocumentKind,
    EnterpriseKind,
    Store,
    StoreDocument,
    StoreType,
    TrademarkStatus,
)
from shop.selectors import stores as selectors
from shop.services import deposit as deposit_services
from shop.services import stores as services

SCOPE = ApiKey.Scope.STORE


class DocumentOut(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display")
    status_label = serializers.CharField(source="get_status_display")

    class Meta:
        model = StoreDocument
        fields = (
            "id",
            "kind",
            "kind_label",
            "status",
            "status_label",
            "review_reason",
            "trademark_status",
            "filed_on",
            "sealed",
            "original_name",
            "content_type",
            "size",
            "uploaded_at",
            "reviewed_at",
        )


class DepositOut(serializers.Serializer):
    balance = serializers.IntegerField(help_text="fen, frozen part included")
    frozen = serializers.IntegerField()
    available = serializers.IntegerField()
    required = serializers.IntegerField(allow_null=True)
    shortfall = serializers.IntegerField()


class StoreOut(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display")
    expected_review_date = serializers.SerializerMethodField()
    documents = serializers.SerializerMethodField()
    missing_documents = serializers.SerializerMethodField()
    sanctions = serializers.SerializerMethodField(
        help_text="sanctions in force for repeated violations: [{kind: search_demotion|withdrawal_limit, ends_at}]"
    )
    sealed_documents = serializers.SerializerMethodField(
        help_text="kinds whose copy must carry the company seal (upload with sealed=true)"
    )
    deposit = serializers.SerializerMethodField()

    class Meta:
        model = Store
        fields = (
            "id",
            "name",
            "store_type",
            "enterprise_kind",
            "main_category",
            "brand_name",
            "company_name",
            "credit_code",
            "contact_name",
            "contact_phone",
            "status",
            "status_label",
            "status_reason",
            "created_at",
            "submitted_at",
            "reviewed_at",
            "expected_review_date",
            "opened_at",
            "closed_at",
            "documents",
            "missing_documents",
            "sealed_documents",
            "sanctions",
            "deposit",
        )

    def get_expected_review_date(self, store: Store) -> str | None:
        expected = selectors.expected_review_date(store)
        return expected.isoformat() if expected else None

    @extend_schema_field(DocumentOut(many=True))
    def get_documents(self, store: Store) -> list[dict]:
        return DocumentOut(selectors.current_documents(store), many=True).data

    def get_missing_documents(self, store: Store) -> list[str]:
        return services.missing_documents(store)

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_sanctions(self, store: Store) -> list[dict]:
        return [{"kind": s.kind, "ends_at": s.ends_at.isoformat()} for s in selectors.active_sanctions(store)]

    def get_sealed_documents(self, store: Store) -> list[str]:
        return store.sealed_document_kinds()

    @extend_schema_field(DepositOut)
    def get_deposit(self, store: Store) -> dict:
        return DepositOut(selectors.deposit_summary(store)).data


class ApplicationIn(serializers.Serializer):
    store_type = serializers.ChoiceField(choices=StoreType.choices)
    enterprise_kind = serializers.ChoiceField(choices=EnterpriseKind.choices, required=False, allow_blank=True)
    name = serializers.CharField(max_length=30)
    main_category = serializers.PrimaryKeyRelatedField(queryset=Category.objects.all())
    brand_name = serializers.CharField(max_length=60, required=False, allow_blank=True)
    company_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    credit_code = serializers.CharField(max_length=18, required=False, allow_blank=True)
    contact_name = serializers.CharField(max_length=30)
    contact_phone = serializers.CharField(max_length=11)


class DocumentIn(serializers.Serializer):
    kind = serializers.ChoiceField(choices=DocumentKind.choices)
    file = serializers.FileField()
    trademark_status = serializers.ChoiceField(choices=TrademarkStatus.choices, required=False, default="")
    filed_on = serializers.DateField(required=False, allow_null=True, default=None)
    sealed = serializers.BooleanField(
        required=False, default=False, help_text="an enterprise's copy of a company document carries the company seal"
    )


class DepositEntryOut(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display")

    class Meta:
        model = DepositEntry
        fields = ("id", "kind", "kind_label", "amount", "reason", "ref", "actor_label", "created_at")


class DepositPaymentOut(serializers.Serializer):
    payment_id = serializers.IntegerField()
    amount = serializers.IntegerField()
    checkout_url = serializers.CharField()


class StoreMixin:
    required_scope = SCOPE

    @property
    def store(self) -> Store:
        return request_store(self.request)


class StoreView(StoreMixin, APIView):
    """The caller's store: status, application, documents with review results, deposit summary."""

    @extend_schema(responses=StoreOut)
    def get(self, request):
        return Response(StoreOut(self.store).data)


class ApplicationCreateView(IdempotentMixin, APIView):
    """Start a new store application (a draft owned by the caller); it becomes the session's store."""

    permission_classes = [AuthenticatedOnly]
    required_scope = None  # closed to API keys: a key acts for its own store and opens no other

    @extend_schema(request=ApplicationIn, responses={201: StoreOut})
    def post(self, request):
        if not isinstance(request.user, User):
            raise PermissionDenied("An integration without a user cannot open a store.")
        data = ApplicationIn(data=request.data)
        data.is_valid(raise_exception=True)
        store = services.store_create(user=request.user, data=dict(data.validated_data), by=merchant_actor(request))
        if not isinstance(request.auth, ApiKey):
            request.session[SESSION_KEY] = store.pk
        return Response(StoreOut(store).data, status=status.HTTP_201_CREATED)


class ApplicationUpdateView(StoreMixin, APIView):
    """Change the application's information while it is a draft or rejected (partial update)."""

    @extend_schema(request=ApplicationIn(partial=True), responses=StoreOut)
    def patch(self, request):
        data = ApplicationIn(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        store = services.store_update_application(
            store=self.store, data=dict(data.validated_data), by=merchant_actor(request)
        )
        return Response(StoreOut(store).data)


class DocumentListView(StoreMixin, ListAPIView):
    """The store's documents, replaced ones included (newest first)."""

    serializer_class = DocumentOut

    def get_queryset(self):
        return StoreDocument.objects.filter(store=self.store)


class DocumentDetailView(StoreMixin, APIView):
    @extend_schema(responses=DocumentOut)
    def get(self, request, pk: int):
        try:
            return Response(DocumentOut(selectors.document_for_store(store=self.store, pk=pk)).data)
        except StoreDocument.DoesNotExist:
            raise Http404


class DocumentUploadView(IdempotentMixin, StoreMixin, APIView):
    """Upload (or replace) one document: multipart/form-data with `kind` and `file` (jpg/png/pdf, 5 MB); any
    other content type is a 415."""

    parser_classes = [MultiPartParser]

    @extend_schema(request={"multipart/form-data": DocumentIn}, responses={201: DocumentOut})
    def post(self, request):
        data = DocumentIn(data=request.data)
        data.is_valid(raise_exception=True)
        document = services.document_upload(
            store=self.store,
            kind=data.validated_data["kind"],
            file=data.validated_data["file"],
            by=merchant_actor(request),
            trademark_status=data.validated_data["trademark_status"],
            filed_on=data.validated_data["filed_on"],
            sealed=data.validated_data["sealed"],
        )
        return Response(DocumentOut(document).data, status=status.HTTP_201_CREATED)


class SubmitView(IdempotentMixin, StoreMixin, APIView):
    """Submit (or resubmit after a rejection) the application for review."""

    @extend_schema(request=None, responses=StoreOut)
    def post(self, request):
        store = services.store_submit(store=self.store, by=merchant_actor(request))
        return Response(StoreOut(store).data)


class DepositEntryListView(StoreMixin, ListAPIView):
    """The store's deposit ledger, newest first (amounts in fen)."""

    serializer_class = DepositEntryOut

    def get_queryset(self):
        return DepositEntry.objects.filter(store=self.store)


class DepositPaymentView(IdempotentMixin, StoreMixin, APIView):
    """Open a payment for the outstanding deposit; the payer continues at `checkout_url`."""

    @extend_schema(request=None, responses={201: DepositPaymentOut})
    def post(self, request):
        payment = deposit_services.deposit_payment_start(store=self.store, by=merchant_actor(request))
        out = {"payment_id": payment.pk, "amount": payment.amount, "checkout_url": checkout_url(payment)}
        return Response(DepositPaymentOut(out).data, status=status.HTTP_201_CREATED)


urlpatterns = [
    path("store/", StoreView.as_view(), name="api-store"),
    path("store/applications/", ApplicationCreateView.as_view(), name="api-store-application-create"),
    path("store/application/", ApplicationUpdateView.as_view(), name="api-store-application"),
    path("store/documents/", route(DocumentListView, DocumentUploadView).as_view(), name="api-store-documents"),
    path("store/documents/<int:pk>/", DocumentDetailView.as_view(), name="api-store-document"),
    path("store/submit/", SubmitView.as_view(), name="api-store-submit"),
    path("store/deposit/entries/", DepositEntryListView.as_view(), name="api-store-deposit-entries"),
    path("store/deposit/payments/", DepositPaymentView.as_view(), name="api-store-deposit-payment"),
]
