from django.urls import path

from frontend import views

app_name = "frontend"

urlpatterns = [
    path("", views.home, name="home"),
    path("rooms/<id:room_id>/", views.room, name="room"),
    path("work/", views.work, name="work"),
    path("profile/", views.profile, name="profile"),
    path("organization/", views.organization, name="organization"),
    path("organization/audit/", views.audit_log, name="audit-log"),
]
