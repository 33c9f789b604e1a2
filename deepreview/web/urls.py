from django.contrib.auth import views as auth_views
from django.urls import path

from deepreview.web import review_views, views

urlpatterns = [
    path("", views.project_list, name="project-list-page"),
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="registration/login.html"),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("projects/<int:project_id>/", views.project_detail, name="project-detail-page"),
    path("projects/<int:project_id>/members/", views.member_add, name="member-add-page"),
    path(
        "projects/<int:project_id>/members/<int:membership_id>/",
        views.member_change,
        name="member-change-page",
    ),
    path("projects/<int:project_id>/identities/", views.identity_add, name="identity-add-page"),
    path("projects/<int:project_id>/facesets/", views.faceset_add, name="faceset-add-page"),
    path(
        "projects/<int:project_id>/facesets/<int:faceset_id>/",
        views.faceset_detail,
        name="faceset-detail-page",
    ),
    path(
        "projects/<int:project_id>/swaps/<int:model_id>/",
        views.swap_model_detail,
        name="swap-model-detail-page",
    ),
    path(
        "projects/<int:project_id>/detection/",
        views.detection_page,
        name="detection-page",
    ),
    path(
        "projects/<int:project_id>/detection/explanations/",
        views.detection_explanations,
        name="detection-explanations-page",
    ),
    path("projects/<int:project_id>/review/", review_views.review_page, name="review-page"),
    path("projects/<int:project_id>/exports/", views.exports_page, name="exports-page"),
    path(
        "projects/<int:project_id>/media/<int:media_id>/",
        views.media_detail,
        name="media-detail-page",
    ),
    path(
        "projects/<int:project_id>/media/<int:media_id>/review/",
        review_views.review_workspace,
        name="review-workspace-page",
    ),
    path(
        "projects/<int:project_id>/media/<int:media_id>/report/",
        review_views.review_report,
        name="review-report-page",
    ),
]
