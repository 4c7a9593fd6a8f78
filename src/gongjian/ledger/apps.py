from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "gongjian.ledger"
    label = "ledger"
    verbose_name = "台账 / Ledger"
