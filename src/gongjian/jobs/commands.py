"""`gongjian worker`, `gongjian scheduler` and `gongjian jobs …`."""

from __future__ import annotations

import logging
import signal
import sys
import time

EXIT_USAGE = 2


def _say(msg: str = "") -> None:
    print(msg, flush=True)


def _log_to_stderr(verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for name in ("gongjian", "django_tasks", "django_tasks_db", "django.tasks"):
        logger = logging.getLogger(name)
        logger.setLevel(logging.DEBUG if verbose else logging.INFO)
        logger.addHandler(handler)
        logger.propagate = False


def cmd_worker(args) -> int:
    from gongjian.cli import _check_ready, _setup_django

    _setup_django()
    _check_ready()
    _log_to_stderr(args.verbose)
    from gongjian.jobs.worker import Worker

    what = "后台任务和定时调度" if args.with_scheduler else "后台任务"
    worker = Worker(queues=[q for q in args.queue.split(",") if q] or ["*"], interval=args.interval,
                    batch=args.batch, max_tasks=args.max_tasks, with_scheduler=args.with_scheduler,
                    on_started=lambda: _say(f"工作进程已启动({what}) / worker started: {worker.worker_id}"))
    worker.configure_signals()
    try:
        worker.run()
    finally:
        worker.reset_signals()
    _say(f"工作进程已停止，完成 {worker._run_tasks} 个任务 / worker stopped after {worker._run_tasks} tasks")
    return 0


def cmd_scheduler(args) -> int:
    from gongjian.cli import _check_ready, _setup_django

    _setup_django()
    _check_ready()
    _log_to_stderr(args.verbose)
    from django.db import close_old_connections

    from gongjian.jobs import scheduler
    from gongjian.jobs.schedule import all_jobs

    jobs = all_jobs()
    if args.once:
        made = scheduler.tick(jobs=jobs)
        back = scheduler.reclaim()
        for m in made:
            _say(f"{m.job}  {m.slot.isoformat()}{'  补跑 / catch-up' if m.late else ''}  → {m.task_id}")
        _say(f"入队 {len(made)} 个，收回 {len(back)} 个 / enqueued {len(made)}, reclaimed {len(back)}")
        return 0
    running = [True]

    def stop(*_):
        running[0] = False

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    _say(f"调度进程已启动，{len(jobs)} 个定时任务 / scheduler started with {len(jobs)} jobs")
    while running[0]:
        close_old_connections()
        try:
            scheduler.reclaim()
            scheduler.tick(jobs=jobs)
        except Exception:
            logging.getLogger("gongjian.jobs").exception("scheduler tick failed")
        close_old_connections()
        for _ in range(int(args.every * 10)):
            if not running[0]:
                break
            time.sleep(0.1)
    _say("调度进程已停止 / scheduler stopped")
    return 0


def cmd_jobs_list(args) -> int:
    from gongjian.cli import _setup_django

    _setup_django()
    from gongjian.jobs import selectors

    rows = selectors.job_rows()
    for r in rows:
        last = f"{r.last_run.slot:%m-%d %H:%M} {r.last_status_label}" if r.last_run else "尚未运行"
        nxt = f"{r.next_slot:%m-%d %H:%M}" if r.next_slot else "—"
        _say(f"{r.job.name:32}  {r.job.title:10}  {r.job.when():14}  下次 {nxt}  上次 {last}")
    workers = selectors.workers()
    alive = [w for w in workers if w.alive]
    _say(f"定时任务 {len(rows)} 个；工作进程在线 {len(alive)} 个 / {len(rows)} jobs, {len(alive)} workers alive")
    counts = selectors.queue_counts()
    _say("队列 / queue: " + "，".join(f"{label} {n}" for label, n in counts.items()))
    return 0


def cmd_jobs_run(args) -> int:
    from gongjian.cli import _setup_django

    _setup_django()
    from gongjian.jobs import scheduler
    from gongjian.jobs.schedule import all_jobs, job_named

    job = job_named(args.name)
    if job is None:
        names = "、".join(j.name for j in all_jobs())
        print(f"错误 / error: 没有名为“{args.name}”的定时任务；可选：{names} / no such job", file=sys.stderr)
        return EXIT_USAGE
    made = scheduler.run_now(job)
    _say(f"已入队 / enqueued: {job.name} → {made.task_id}")
    if args.wait:
        from gongjian.jobs.worker import run_pending

        run_pending()
        from gongjian.jobs import selectors

        status = selectors.task_status(made.task_id)
        _say(f"结果 / result: {status}")
    return 0


def add_commands(subparsers) -> None:
    p = subparsers.add_parser("worker", help="运行后台任务(可同时运行定时调度) / run background tasks",
                              description="逐个运行队列中的后台任务(提醒扫描、督办扫描、日报生成、消息发送……)。"
                                          "可同时开多个，同一任务只会被一个进程执行。--with-scheduler 同时负责定时调度。"
                                          " / Run queued tasks; start several at once safely. --with-scheduler "
                                          "also runs the schedule of periodic jobs.")
    p.add_argument("--with-scheduler", action="store_true",
                   help="同时运行定时调度(单机部署用) / also run the scheduler (single-machine deployments)")
    p.add_argument("--queue", default="*", help="只处理这些队列，逗号分隔(默认全部) / queues to serve (default all)")
    p.add_argument("--interval", type=float, default=1.0, help="空闲时轮询间隔(秒) / poll interval when idle (s)")
    p.add_argument("--batch", action="store_true", help="处理完现有任务后退出 / exit when the queue is empty")
    p.add_argument("--max-tasks", type=int, default=None, help="运行这么多任务后退出 / exit after N tasks")
    p.add_argument("--verbose", action="store_true", help="详细日志 / debug logging")
    p.set_defaults(func=cmd_worker)

    p = subparsers.add_parser("scheduler", help="定时调度：按时把定时任务放入队列 / run the schedule",
                              description="按各业务模块 scheduled.py 中的时间表把到点的定时任务放入队列，每个时点只放一次；"
                                          "停机期间错过的时点在重启后补跑。可与其他调度进程同时运行。 / Enqueue each due "
                                          "slot of every periodic job exactly once; slots missed while down run on "
                                          "restart. Safe to run more than one.")
    p.add_argument("--once", action="store_true", help="只检查一次后退出 / one tick, then exit")
    p.add_argument("--every", type=float, default=5.0, help="检查间隔(秒) / seconds between ticks")
    p.add_argument("--verbose", action="store_true", help="详细日志 / debug logging")
    p.set_defaults(func=cmd_scheduler)

    p = subparsers.add_parser("jobs", help="定时任务：列表、立即运行 / periodic jobs: list, run now",
                              description="查看定时任务、工作进程和队列，或立即运行一个定时任务。 / List periodic jobs, "
                                          "workers and the queue, or run a job now.")
    sub = p.add_subparsers(dest="jobs_command", metavar="子命令 / subcommand")
    pl = sub.add_parser("list", help="定时任务、工作进程、队列 / jobs, workers, queue",
                        description="列出定时任务(时间表、下次和上次运行)、在线工作进程和队列。 / List jobs, workers "
                                    "and the queue.")
    pl.set_defaults(func=cmd_jobs_list)
    pr = sub.add_parser("run", help="立即运行一个定时任务 / enqueue a job now",
                        description="把一个定时任务立即放入队列(不影响它的时间表)。 / Enqueue a job now (its schedule "
                                    "is unchanged).")
    pr.add_argument("name", help="任务名，见 gongjian jobs list / job name")
    pr.add_argument("--wait", action="store_true", help="在本进程中立即运行并等待结果 / run it here and wait")
    pr.set_defaults(func=cmd_jobs_run)
    p.set_defaults(func=lambda a, p=p: (p.print_help(), EXIT_USAGE)[1])
    return p


