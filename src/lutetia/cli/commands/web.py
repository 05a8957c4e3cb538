"""``lutetia serve`` (the web application) and ``lutetia user add/list`` (its accounts).

Heavy imports (FastAPI, uvicorn, argon2) happen inside the command bodies.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from lutetia.cli.common import fail, print_table, settings

user_app = typer.Typer(help="Web application accounts (admins): add, list.", no_args_is_help=True)


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on (behind a reverse proxy: keep 127.0.0.1).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    secure_cookies: Annotated[bool | None, typer.Option(
        "--secure-cookies/--no-secure-cookies",
        help="Mark cookies Secure (HTTPS at the proxy); default: $LUTETIA_SECURE_COOKIES.")] = None,
) -> None:
    """Serve the web application on the database (--db); see docs/web.md."""
    import uvicorn

    from lutetia.web import WebConfig, create_app

    cfg = WebConfig.from_environ(settings(ctx).db_url, secure_cookies=secure_cookies)
    typer.echo(f"lutetia serve: {settings(ctx).shown_url} on http://{host}:{port}/ (Ctrl-C stops)")
    uvicorn.run(create_app(cfg), host=host, port=port, log_level="warning", proxy_headers=True,
                forwarded_allow_ips="127.0.0.1")


@user_app.command("add")
def user_add(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Login name (a-z, 0-9, '.', '_', '-').")],
    role: Annotated[str, typer.Option(help="physician, physicist, coordinator, data_manager, statistician, "
                                           "monitor or admin.")],
    site: Annotated[list[str], typer.Option("--site", help="Site code (repeat); '*' for every site.")],
    name: Annotated[str | None, typer.Option("--name", help="Display name (default: the username).")] = None,
    password_stdin: Annotated[bool, typer.Option("--password-stdin",
                                                 help="Read the password from standard input.")] = False,
) -> None:
    """Create a web account (audited under --user); the password is asked for, never an argument."""
    from lutetia.errors import ConflictError, RecordError
    from lutetia.store.repository import Store
    from lutetia.store.users import add_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    store = Store.open(settings(ctx).db_url)
    try:
        user = add_user(store.engine, username=username, display_name=name or username, role=role, sites=site,
                        password=password, actor=settings(ctx).user)
    except (ConflictError, RecordError) as exc:
        raise fail(str(exc), 2) from exc
    typer.echo(f"user {user.username} ({user.role}, sites {', '.join(user.sites)}) created")


@user_app.command("list")
def user_list(ctx: typer.Context) -> None:
    """Every web account: username, name, role, sites, active, demo."""
    from lutetia.store.repository import Store
    from lutetia.store.users import list_users

    store = Store.open(settings(ctx).db_url)
    rows = [{"username": u.username, "name": u.display_name, "role": u.role, "sites": ", ".join(u.sites),
             "active": "yes" if u.active else "no", "demo": "DEMO" if u.demo else ""} for u in list_users(store.engine)]
    print_table(rows, ["username", "name", "role", "sites", "active", "demo"], title="Web accounts")


def register(app: typer.Typer) -> None:
    """Add ``serve`` and ``user``."""
    app.command("serve")(serve)
    app.add_typer(user_app, name="user")
