from django.db import migrations, models


class Migration(migrations.Migration):
    # The person's one time zone. Its values come from the notification settings,
    # where it lived before: rooms' migration 0014 copies them (the kernel's
    # migrations depend on no higher app).
    dependencies = [
        ("hub", "0007_last_seen"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="time_zone",
            field=models.CharField(default="UTC", max_length=64),
        ),
    ]
