"""The platform's admin site: Django's, without the navigation sidebar and its app list.

Django builds the app list (every model of every app, a permission check and a translated, sorted name each)
into every admin page's context for the sidebar, a quarter of a changelist's time at scale. Here there is no
sidebar, and the list is built only where a template reads it (the index page).
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.utils.functional import SimpleLazyObject


class PortalAdminSite(admin.AdminSite):
    enable_nav_sidebar = False  # the index page and the breadcrumbs remain the way around

    def get_app_list(self, request, app_label=None):
        return SimpleLazyObject(lambda: super(PortalAdminSite, self).get_app_list(request, app_label))


class PortalAdminConfig(AdminConfig):
    default_site = "portal.admin_site.PortalAdminSite"
