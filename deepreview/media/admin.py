from django.contrib import admin

from deepreview.media.models import MediaItem


@admin.register(MediaItem)
class MediaItemAdmin(admin.ModelAdmin):
    list_display = ["name", "project", "kind", "origin", "status", "frame_count", "created_at"]
    list_filter = ["kind", "origin", "status"]
    search_fields = ["name", "sha256"]
    readonly_fields = ["sha256", "size_bytes", "storage_key", "file", "poster", "sprite", "proxy"]
