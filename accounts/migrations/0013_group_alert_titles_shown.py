from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0012_group_captures_sources'),
    ]

    operations = [
        migrations.AddField(
            model_name="group",
            name="alert_titles_shown",
            field=models.BooleanField(default=False),
        ),
    ]
