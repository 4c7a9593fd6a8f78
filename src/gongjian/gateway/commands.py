"""`gongjian hj212 decode|crc`: the HJ 212 codec from the command line (no database needed).

``add_commands(subparsers)`` adds the ``hj212`` group to the gongjian parser. The handlers return exit
codes themselves (0 when every packet was accepted; 1 when any was rejected; 2 for a usage problem).
"""

from __future__ import annotations

import argparse
import json
import os
import sys

EXIT_FAILED = 1
EXIT_USAGE = 2


def cmd_decode(args) -> int:
    from gongjian.standards import hj212

    out = sys.stdout.buffer
    total = rejected = 0
    for line in sys.stdin.buffer:
        line = line.rstrip(b"\r\n")
        if not line.strip():
            continue
        packet = hj212.decode(line, strict=args.strict)
        total += 1
        rejected += not packet.ok
        out.write(json.dumps(packet.as_json(), ensure_ascii=False).encode("utf-8", "backslashreplace") + b"\n")
    out.flush()
    if not total:
        print("标准输入中没有数据包(每行一个，以 ## 开头) / no packets on stdin (one per line, starting with ##)",
              file=sys.stderr)
    elif rejected:
        print(f"{total} 个数据包，拒收 {rejected} 个 / {total} packets, {rejected} rejected", file=sys.stderr)
    return EXIT_FAILED if rejected else 0


def cmd_crc(args) -> int:
    from gongjian.standards import hj212

    print(hj212.crc_hex(os.fsencode(args.text)))
    return 0


def cmd_gateway(args) -> int:
    from gongjian.cli import CliError, _check_ready, _say, _setup_django

    if not 0 <= args.port <= 65535:
        raise CliError(f"端口 {args.port} 无效，应为 0–65535 / bad port", EXIT_USAGE)
    _setup_django()
    _check_ready()
    import logging

    from gongjian.gateway import runner

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")

    def ready(gateway):
        _say(f"HJ 212 网关已启动，监听 / gateway listening on {args.host}:{gateway.port}")
        sys.stdout.flush()

    if args.processes < 1:
        raise CliError("--processes 至少为 1 / at least 1", EXIT_USAGE)
    if args.processes > 1:
        return _serve_processes(args)
    try:
        runner.serve(args.host, args.port, ready=ready, reuse_port=args.reuse_port, instance=args.instance)
    except OSError as exc:
        raise CliError(f"无法监听 {args.host}:{args.port}：{exc} / cannot listen") from exc
    return 0


def _serve_processes(args) -> int:
    """N gateway processes on one port (SO_REUSEPORT: the kernel spreads the connections), so the gateway
    uses every core; each stores through its own connection, and retransmits that reach different
    processes are still stored once (the database's unique keys). Stops them all on SIGTERM/SIGINT, and
    all of them when one dies (a supervisor then restarts the whole)."""
    import signal
    import socket
    import subprocess
    import time

    from gongjian.cli import CliError, _say

    port = args.port
    if port == 0:  # one free port for all of them
        with socket.socket() as probe:
            probe.bind((args.host, 0))
            port = probe.getsockname()[1]
    command = [sys.executable, "-m", "gongjian.cli", "gateway", "--host", args.host, "--port", str(port),
               "--reuse-port"]
    children = [subprocess.Popen([*command, "--instance", str(k + 1)], stdout=subprocess.PIPE)
                for k in range(args.processes)]
    stopping = [False]

    def stop(*_):
        stopping[0] = True
        for child in children:
            if child.poll() is None:
                child.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for child in children:
        line = child.stdout.readline().decode("utf-8", "replace")
        if "gateway listening on" not in line:
            stop()
            raise CliError(f"网关进程未能启动 / a gateway process did not start: {line.strip() or child.poll()}")
    _say(f"HJ 212 网关已启动({args.processes} 个进程)，监听 / gateway listening on {args.host}:{port}")
    sys.stdout.flush()
    while not stopping[0] and all(child.poll() is None for child in children):
        time.sleep(0.2)
    stop()
    codes = [child.wait(30) for child in children]
    return 0 if stopping[0] and all(code in (0, -signal.SIGTERM) for code in codes) else 1


def add_gateway_arguments(p) -> None:
    p.add_argument("--port", type=int, default=9212, help="HJ 212 端口，默认 9212(0 为任选空闲端口) / port")
    p.add_argument("--host", default="0.0.0.0", help="监听地址，默认 0.0.0.0 / address to listen on")
    p.add_argument("--processes", type=int, default=1,
                   help="网关进程数，共用一个端口(多核机器可设为核数) / processes sharing the port (one per core)")
    p.add_argument("--reuse-port", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--instance", default="", help=argparse.SUPPRESS)


def add_commands(sub) -> None:
    pg = sub.add_parser("gateway", help="运行 HJ 212 设备网关(TCP) / run the HJ 212 device gateway",
                        description="接收监测设备按 HJ 212-2017 上传的数据：按站点 MN 和密码认证，保存原始报文和"
                                    "分钟/小时数据，提交后应答 9014，校时请求应答 9013；计数每 5 秒写入状态页"
                                    "(/gateway/)和接口(/api/gateway/status)。 / Receive HJ 212-2017 monitoring "
                                    "devices over TCP, store and acknowledge their data; counters on /gateway/.")
    add_gateway_arguments(pg)
    pg.set_defaults(func=cmd_gateway)

    p = sub.add_parser("hj212", help="HJ 212 数据包：解码、计算 CRC / HJ 212 packets: decode, CRC",
                       description="HJ 212-2017 监测设备数据包工具(不需要数据库)。 / HJ 212-2017 monitoring "
                                   "packet tools (no database needed).")
    h_sub = p.add_subparsers(dest="hj212_command", metavar="子命令 / subcommand")
    pd = h_sub.add_parser(
        "decode", help="解码标准输入中的数据包，每包输出一行 JSON / decode packets on stdin, one JSON line each",
        description="从标准输入每行读一个数据包(行尾有无 CRLF 均可)，每包输出一行 JSON：ok、error、crc_ok、"
                    "length_ok、qn、st、cn、pw、mn、flag、pnum、pno、data_time(ISO 8601)、values(因子 → "
                    "{Rtd/Avg/…: 数值, Flag: 标记})。默认宽松模式(接收端的做法：容忍缺 QN/Flag、长度字段错但 CRC "
                    "对、小写 CRC 等)；--strict 按 2017 版标准严格检查。有被拒收的包时退出码为 1。 / Read one "
                    "packet per line on stdin (with or without CRLF) and print one JSON object per packet. "
                    "Lenient by default (what a receiver accepts); --strict checks the 2017 text. Exits 1 "
                    "when any packet was rejected.")
    pd.add_argument("--strict", action="store_true", help="严格模式 / strict mode")
    pd.set_defaults(func=cmd_decode)
    pc = h_sub.add_parser("crc", help="打印 TEXT 的 CRC(附录 A 算法) / print the CRC of TEXT (Appendix A)",
                          description="按 HJ 212-2017 附录 A 计算 TEXT(UTF-8 字节)的 CRC，打印 4 位大写十六进制。"
                                      "TEXT 应为数据段(QN=… 到 CP=&&…&&)。 / Print the Appendix A CRC of TEXT's "
                                      "UTF-8 bytes as 4 upper-case hex digits; TEXT is the data segment.")
    pc.add_argument("text", metavar="TEXT", help="数据段文字 / the data segment")
    pc.set_defaults(func=cmd_crc)
    p.set_defaults(func=lambda a, p=p: (p.print_help(), EXIT_USAGE)[1])
