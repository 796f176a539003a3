# The models that moved from the hub app (see hub 0006). State only: the
# tables keep their names; content types follow the models, so permissions
# and admin history stay attached.

import django.db.models.deletion
import django.utils.timezone
import hub.ids
from django.conf import settings
from django.db import migrations, models


MOVED = ("invitation", "notification", "escalationcontact")


def move_content_types(apps, schema_editor, old="hub", new="rooms"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        if not ContentType.objects.filter(app_label=new, model=model).exists():
            ContentType.objects.filter(app_label=old, model=model).update(app_label=new)


def move_content_types_back(apps, schema_editor):
    move_content_types(apps, schema_editor, old="rooms", new="hub")


class Migration(migrations.Migration):

    dependencies = [
        ('hub', '0006_move_invitations_notifications_contacts'),
        ('rooms', '0005_random_ids_shared_back'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
        migrations.CreateModel(
            name='Invitation',
            fields=[
                ('id', hub.ids.RandomIdField()),
                ('email', models.EmailField(max_length=254)),
                ('token_hash', models.CharField(max_length=64, unique=True)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('expires_at', models.DateTimeField()),
                ('accepted_at', models.DateTimeField(blank=True, null=True)),
                ('revoked_at', models.DateTimeField(blank=True, null=True)),
                ('outside_domain', models.BooleanField(default=False)),
                ('accepted_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('invited_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('organization', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='invitations', to='hub.organization')),
                ('room', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='invitations', to='rooms.room')),
            ],
            options={
                'db_table': 'hub_invitation',
                'ordering': ['-created_at'],
            },
        ),
        migrations.CreateModel(
            name='EscalationContact',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('organization', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='hub.organization')),
                ('partnership', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='escalation_contacts', to='hub.partnership')),
                ('person', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'db_table': 'hub_escalationcontact',
                'constraints': [models.UniqueConstraint(fields=('partnership', 'person'), name='one_contact_entry_per_person')],
            },
        ),
        migrations.CreateModel(
            name='Notification',
            fields=[
                ('id', hub.ids.RandomIdField()),
                ('kind', models.CharField(max_length=40)),
                ('title', models.CharField(max_length=300)),
                ('body', models.TextField(blank=True)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('read_at', models.DateTimeField(blank=True, null=True)),
                ('person', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='notifications', to=settings.AUTH_USER_MODEL)),
                ('room', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='rooms.room')),
                ('work_item', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='rooms.workitem')),
            ],
            options={
                'db_table': 'hub_notification',
                'ordering': ['-created_at', '-id'],
                'indexes': [models.Index(fields=['person', 'read_at'], name='hub_notific_person__53fc51_idx')],
            },
        ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
