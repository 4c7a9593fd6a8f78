"""Writing one new row of a plain model with its INSERT built once per process.

``Model.save()`` compiles a fresh INSERT every time (building the query, choosing the returning
columns, sending signals), which on the busiest write paths (a reported case, an evidence file)
costs more than the database's own work. ``insert`` does what ``save(force_insert=True)`` does for
a model without database defaults or generated fields: every field's ``pre_save`` (``auto_now``,
``auto_now_add``, a file's storage name), its ``get_db_prep_save``, one INSERT returning the new
key. It sends no ``pre_save``/``post_save`` signals: use it only for models nothing listens to
(the project keeps business logic out of signals; ``core.cache`` listens only to its own tables).
"""

from __future__ import annotations

from django.db import connections, router
from django.db.models import NOT_PROVIDED
from django.db.models.fields import AutoFieldMixin
from django.db.models.signals import post_save, pre_save

_built: dict[tuple[type, str], tuple[list, str, bool]] = {}


def _statement(model, connection) -> tuple[list, str, bool]:
    key = (model, connection.alias)
    built = _built.get(key)
    if built is not None:
        return built
    meta = model._meta
    for field in meta.concrete_fields:
        if getattr(field, "generated", False) or field.db_default is not NOT_PROVIDED:
            raise TypeError(f"{meta.label}.{field.name} gets its value from the database: use save()")
    fields = [f for f in meta.concrete_fields if not isinstance(f, AutoFieldMixin)]
    quote = connection.ops.quote_name
    sql = (f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
           f"VALUES ({', '.join(['%s'] * len(fields))})")
    returning = connection.features.can_return_columns_from_insert
    if returning:
        sql += f" RETURNING {quote(meta.pk.column)}"
    built = _built[key] = (fields, sql, returning)
    return built


def insert(obj) -> None:
    """Insert ``obj`` (a new instance) and set its primary key, as ``obj.save(force_insert=True)``."""
    model = type(obj)
    if pre_save.has_listeners(model) or post_save.has_listeners(model):
        raise TypeError(f"{model._meta.label} has save signal receivers: use save()")
    connection = connections[router.db_for_write(model, instance=obj)]
    fields, sql, returning = _statement(model, connection)
    params = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        pk = cursor.fetchone()[0] if returning else connection.ops.last_insert_id(
            cursor, model._meta.db_table, model._meta.pk.column)
    obj.pk = pk
    obj._state.adding = False
    obj._state.db = connection.alias
