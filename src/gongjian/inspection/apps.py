from django.apps import AppConfig


class InspectionConfig(AppConfig):
    name = "gongjian.inspection"
    label = "inspection"
    verbose_name = "督查 / Inspections"
