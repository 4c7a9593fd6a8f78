"""A notice's addressee, so the documents page can show each unit the notices sent to it."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("org", "0001_initial"),
        ("reporting", "0002_seed_metrics"),
    ]

    operations = [
        migrations.AddField(
            model_name="document",
            name="unit",
            field=models.ForeignKey(blank=True, help_text="整改通知书的受文单位；全区公文为空", null=True,
                                    on_delete=django.db.models.deletion.PROTECT, related_name="documents",
                                    to="org.unit", verbose_name="受文单位"),
        ),
    ]
