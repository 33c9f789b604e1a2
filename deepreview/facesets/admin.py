from django.contrib import admin

from deepreview.facesets.models import CurationEvent, Faceset


@admin.register(Faceset)
class FacesetAdmin(admin.ModelAdmin):
    list_display = ["name", "project", "created_at"]
    list_filter = ["project"]
    search_fields = ["name"]


@admin.register(CurationEvent)
class CurationEventAdmin(admin.ModelAdmin):
    list_display = ["faceset", "action", "user", "created_at"]
    list_filter = ["action"]
