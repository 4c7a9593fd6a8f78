"""Background work: django-tasks on the database, the worker, and the schedule of periodic jobs.

Each domain declares its periodic jobs in its own ``scheduled.py`` (a ``JOBS`` list of
:class:`gongjian.jobs.schedule.Job`); ``gongjian scheduler`` (or ``gongjian worker --with-scheduler``)
turns each due slot into exactly one task, and ``gongjian worker`` runs the tasks.
"""
