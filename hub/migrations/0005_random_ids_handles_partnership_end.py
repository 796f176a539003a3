# Random ids for what the other organization sees, handles from display names,
# ending a partnership, and invitations outside an organization's domains.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import hub.ids


def fill_handles(apps, schema_editor):
    from hub.handles import candidates

    User = apps.get_model("hub", "User")
    taken: set[str] = set()
    for person in User.objects.order_by("date_joined", "pk"):
        handle = next(c for c in candidates(person.display_name) if c not in taken)
        taken.add(handle)
        User.objects.filter(pk=person.pk).update(handle=handle)


class Migration(migrations.Migration):
    dependencies = [
        ("hub", "0004_notification_work_item_and_more"),
    ]

    operations = [
        migrations.AddField(
            model_name="invitation",
            name="outside_domain",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="partnership",
            name="end_reason",
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name="partnership",
            name="ended_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="partnership",
            name="ended_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="user",
            name="handle",
            field=models.CharField(max_length=32, null=True),
        ),
        migrations.RunPython(fill_handles, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="user",
            name="handle",
            field=models.CharField(max_length=32, unique=True),
        ),
        migrations.AlterField(
            model_name="invitation",
            name="id",
            field=hub.ids.RandomIdField(),
        ),
        migrations.AlterField(
            model_name="notification",
            name="id",
            field=hub.ids.RandomIdField(),
        ),
        migrations.AlterField(
            model_name="user",
            name="id",
            field=hub.ids.RandomIdField(),
        ),
    ]
