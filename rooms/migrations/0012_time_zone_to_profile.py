from django.db import migrations


def to_profile(apps, schema_editor):
    """Each person keeps the time zone they chose for their quiet hours."""
    settings = apps.get_model("rooms", "NotificationSettings")
    person = apps.get_model("hub", "User")
    for person_id, zone in settings.objects.exclude(time_zone="UTC").values_list(
        "person_id", "time_zone"
    ):
        person.objects.filter(pk=person_id).update(time_zone=zone)


def to_settings(apps, schema_editor):
    settings = apps.get_model("rooms", "NotificationSettings")
    person = apps.get_model("hub", "User")
    for person_id, zone in person.objects.exclude(time_zone="UTC").values_list("pk", "time_zone"):
        settings.objects.filter(person_id=person_id).update(time_zone=zone)


class Migration(migrations.Migration):
    dependencies = [
        ("rooms", "0011_reactions"),
        ("hub", "0008_user_time_zone"),
    ]

    operations = [
        migrations.RunPython(to_profile, to_settings, elidable=False),
        migrations.RemoveField(model_name="notificationsettings", name="time_zone"),
    ]
