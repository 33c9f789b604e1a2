from django.contrib import admin

from deepreview.jobs.models import Job


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "project", "status", "progress", "worker_host", "created_at"]
    list_filter = ["status", "kind", "queue"]
    search_fields = ["kind", "message", "error"]
    readonly_fields = [f.name for f in Job._meta.fields]
