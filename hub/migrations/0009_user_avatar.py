from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("hub", "0008_user_time_zone"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="avatar",
            field=models.CharField(blank=True, max_length=100),
        ),
    ]
