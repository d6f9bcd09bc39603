from django.urls import path

from . import views

app_name = "aftersales"

urlpatterns = [
    path("requests/", views.RequestListView.as_view(), name="request_list"),
    path("requests/<int:pk>/", views.RequestDetailView.as_view(), name="request_detail"),
    path("reviews/", views.ReviewListView.as_view(), name="review_list"),
    path("reviews/<int:pk>/reply/", views.ReviewReplyView.as_view(), name="review_reply"),
]
