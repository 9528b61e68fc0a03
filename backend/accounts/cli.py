"""`flask accounts create-admin`: the first administrator of a real deployment (which has
no demo accounts), with a password typed at a prompt, never on the command line."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from backend.accounts import services
from backend.errors import AppError

accounts_cli = AppGroup("accounts", help="Accounts.")


@accounts_cli.command("create-admin")
@click.argument("username")
@click.option("--display-name", default="", help="The name people see (default: the username).")
@click.password_option("--password", help="Asked for at a prompt (twice) when not given.")
def create_admin(username: str, display_name: str, password: str) -> None:
    """Make an administrator; the password must be strong (12+ characters of 3 kinds)."""
    try:
        user = services.create_first_admin(username=username, password=password,
                                           display_name=display_name)
    except AppError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"administrator {user.username} created")
