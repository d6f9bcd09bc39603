from rest_framework import pagination


class CursorPagination(pagination.CursorPagination):
    """Stable, constant-cost pages for integrations syncing large lists."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-id"
