from django.urls import path

from . import views

app_name = "shipping"

urlpatterns = [
    path("booking/", views.BookingCentreView.as_view(), name="booking_centre"),
    path("booking/courier/", views.BookingCourierView.as_view(), name="booking_courier"),
    path("booking/select/", views.BookingSelectView.as_view(), name="booking_select"),
    path("booking/confirm/", views.BookingConfirmView.as_view(), name="booking_confirm"),
    path("booking/confirm/<int:pk>/edit/", views.BookingLineEditView.as_view(), name="booking_line_edit"),
    path("booking/groups/<str:group_no>/", views.BookingGroupView.as_view(), name="booking_group"),
    path("bookings/<str:booking_no>/", views.BookingDetailView.as_view(), name="booking_detail"),
    path("bookings/<str:booking_no>/labels/", views.LabelsView.as_view(), name="booking_labels"),
    path("bookings/<str:booking_no>/<slug:action>/", views.BookingActionView.as_view(), name="booking_action"),
    path("shipments/", views.ShipmentListView.as_view(), name="shipment_list"),
    path("shipments/<int:pk>/", views.ShipmentDetailView.as_view(), name="shipment_detail"),
    path("shipments/<int:pk>/<slug:action>/", views.ShipmentActionView.as_view(), name="shipment_action"),
    path("accounts/", views.CourierAccountView.as_view(), name="courier_account"),
    path("addresses/", views.AddressListView.as_view(), name="address_list"),
    path("addresses/new/", views.AddressEditView.as_view(), name="address_create"),
    path("addresses/<int:pk>/", views.AddressEditView.as_view(), name="address_edit"),
    path("addresses/<int:pk>/delete/", views.AddressDeleteView.as_view(), name="address_delete"),
]
