"""`flask certificates …`: key rotation from the command line (or cron), and the status."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from backend.certificates import issuance
from backend.certificates.models import CertificateIssuer
from backend.extensions import db

certificates_cli = AppGroup("certificates", help="E-certificates: issuers' signing keys.")


class _Operator:
    """The command line acts as an administrator; the audit log names it."""

    id = None
    username = "cli"
    role_names = frozenset({"admin"})
    department_id = None


@certificates_cli.command("rotate-key")
@click.argument("issuer_code")
def rotate_key(issuer_code: str) -> None:
    """Give ISSUER_CODE a new signing key; the old one retires and keeps verifying."""
    issuer = db.session.scalar(select(CertificateIssuer).where(CertificateIssuer.code == issuer_code))
    if issuer is None:
        raise click.ClickException(f"No issuer {issuer_code}.")
    key = issuance.rotate_key(_Operator(), issuer.id)
    click.echo(f"{issuer_code}: new current key {key.kid}")


@certificates_cli.command("keys")
def list_keys() -> None:
    """Every issuer's keys, current and retired."""
    for issuer in db.session.scalars(select(CertificateIssuer).order_by(CertificateIssuer.code)):
        for key in issuer.keys:
            since = f" since {key.retired_at:%Y-%m-%d}" if key.retired_at else ""
            click.echo(f"{issuer.code}\t{key.kid}\t{key.status}{since}")
