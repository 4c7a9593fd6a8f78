"""What the scheduler and the workers remember between restarts."""

from __future__ import annotations

from django.db import models


class JobState(models.Model):
    """One row per periodic job: the last slot the schedule has handled (run or deliberately passed).

    The scheduler locks this row while it turns due slots into tasks, so two schedulers never both enqueue
    a slot, and a restart resumes from here: a slot missed while everything was down is run on restart
    (within the job's catch-up window), never skipped and never run twice.
    """

    name = models.CharField("任务", max_length=60, primary_key=True)
    last_slot = models.DateTimeField("最近时点")
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "定时任务状态"
        verbose_name_plural = verbose_name

    def __str__(self) -> str:
        return f"{self.name} @ {self.last_slot:%Y-%m-%d %H:%M}"


class ScheduledRun(models.Model):
    """One due slot of a periodic job and the task that runs it (unique: a slot runs once)."""

    job = models.CharField("任务", max_length=60)
    slot = models.DateTimeField("计划时间")
    task_id = models.CharField("任务编号", max_length=64, blank=True)
    enqueued_at = models.DateTimeField("入队时间", auto_now_add=True)
    late = models.BooleanField("补跑", default=False, help_text="计划时间已过、重启后补跑的任务")

    class Meta:
        verbose_name = "定时任务运行"
        verbose_name_plural = verbose_name
        constraints = [models.UniqueConstraint(fields=["job", "slot"], name="jobs_run_once_per_slot")]
        indexes = [models.Index(fields=["job", "-slot"], name="jobs_run_job_slot")]

    def __str__(self) -> str:
        return f"{self.job} @ {self.slot:%Y-%m-%d %H:%M}"


class WorkerBeat(models.Model):
    """A running worker's heartbeat. A task left 运行中 by a worker whose heartbeat stopped (the process was
    killed) goes back to the queue; every task is written to be safe to run again."""

    worker_id = models.CharField("工作进程", max_length=64, primary_key=True)
    hostname = models.CharField("主机", max_length=100)
    pid = models.PositiveIntegerField("进程号")
    started_at = models.DateTimeField("启动时间")
    seen_at = models.DateTimeField("最近心跳", db_index=True)
    tasks_done = models.PositiveIntegerField("已完成", default=0)
    with_scheduler = models.BooleanField("含调度", default=False)
    stopped_at = models.DateTimeField("停止时间", null=True, blank=True)

    class Meta:
        verbose_name = "工作进程"
        verbose_name_plural = verbose_name

    def __str__(self) -> str:
        return f"{self.hostname}:{self.pid}"
