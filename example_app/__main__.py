"""``python -m example_app``: run the whole demo on 127.0.0.1 until Ctrl-C.

Starts the loopback modem, the gateway worker sending from the outbox through it, and the web
app; prints the URL, the demo logins and where to read the codes.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from example_app.demo import (
    DEFAULT_STATE_DIR,
    STATE_DIR_ENV,
    DemoLogin,
    DemoPaths,
    DemoStack,
    runnable,
)
from gateway.errors import GatewayError


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m example_app",
        description="Run the flask-t2m2fa demo: loopback modem, gateway worker and web app.",
    )
    parser.add_argument(
        "--port", type=int, default=5000, help="web port on 127.0.0.1 (0: any free port)"
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=DEFAULT_STATE_DIR,
        help="where the database, the outbox key and the logins live "
        "(the loopback modem's inbox: beside it, in DIR-phone)",
    )
    parser.add_argument(
        "--reset", action="store_true", help="forget the demo data and seed it afresh"
    )
    parser.add_argument(
        "--metrics-port", type=int, help="the worker serves Prometheus metrics on 127.0.0.1:N"
    )
    return parser.parse_args(argv)


def banner(stack: DemoStack) -> str:
    """What a new user needs: where to go, how to log in, where the codes arrive."""
    phone_url = f"{stack.url}demo/phone"
    inbox_command = f"{runnable('t2m2fa-gateway')} inbox --state {stack.paths.fake_modem}"
    lines = [
        "",
        "flask-t2m2fa demo is running",
        f"  Web app:         {stack.url}",
        f"  Demo phone:      {phone_url}   (SMS codes arrive here)",
        f"                   or run: {inbox_command}",
        f"  Loopback modem:  {stack.modem_device}",
        f"  Gateway worker:  pid {stack.worker_pid}, sending from the outbox through that modem",
        f"  Database:        {stack.paths.database}",
        f"  Admin CLI:       {_admin_command(stack.paths)} t2m2fa user list",
        *_metrics_lines(stack),
        "",
        *_login_lines(stack.logins),
        "",
        "Press Ctrl-C to stop.",
        "",
    ]
    return "\n".join(lines)


def _admin_command(paths: DemoPaths) -> str:
    """The ``flask`` command line of the admin CLI on this demo's database, runnable as shown."""
    state = "" if paths.root == DEFAULT_STATE_DIR.resolve() else f"{STATE_DIR_ENV}={paths.root} "
    return f"{state}{runnable('flask')} --app example_app.demo:cli_app"


def _metrics_lines(stack: DemoStack) -> list[str]:
    if stack.metrics_port is None:
        return []
    return [f"  Metrics:         http://127.0.0.1:{stack.metrics_port}/metrics (the worker's)"]


def _login_lines(logins: list[DemoLogin] | None) -> list[str]:
    if logins is None:
        return ["  The demo passwords were forgotten: run again with --reset to seed afresh."]
    lines = ["  Demo logins (demo only: these passwords are stored in clear in the state dir):"]
    for login in logins:
        role = "administrator" if login.is_admin else "user"
        lines.append(
            f"    account {login.account}  username {login.username:<6} "
            f" password {login.password}  ({role})"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    paths = DemoPaths(args.state_dir.resolve())
    if args.reset:
        paths.reset()
    stack = DemoStack(paths, args.port, args.metrics_port)
    try:
        stack.start()
        print(banner(stack), flush=True)
        stack.serve_forever()
        print("Stopping the demo...", flush=True)
    except KeyboardInterrupt:
        pass  # Ctrl-C while starting
    except (OSError, GatewayError) as exc:  # e.g. the port is taken
        print(f"demo: {exc}", file=sys.stderr)
        return 1
    finally:
        # A second Ctrl-C (or the terminal's SIGINT reaching us twice) must not cut the
        # shutdown short and leave the worker or the modem behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        stack.stop()
    print("Demo stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
