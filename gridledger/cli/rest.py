"""`gridledger rest serve|enroll|revoke|register|users`: the REST service (its launcher is
services/rest/launch.py, which `network up` also runs) and its users."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from gridledger.cli.output import JsonOption, console, err, print_json
from gridledger.sdk.errors import WalletError
from gridledger.sdk.wallet import FileWallet
from gridledger.services.rest.config import read_passphrase, rest_dir
from gridledger.services.rest.enrol import enroll, register_certificate
from gridledger.services.rest.launch import (
    DataDir,
    Org,
    PassphraseFile,
    check_definition,
    fail,
    network_file_of,
    serve_command,
)
from gridledger.services.rest.users import DEFAULT_SCOPES, SCOPES, UnknownUser, UserError, UserStore

rest_app = typer.Typer(help="The organisation's REST API service and its users.", no_args_is_help=True)
rest_app.command("serve")(serve_command)
ScopeHelp = f"a right: {', '.join(SCOPES)} (repeatable; default {', '.join(DEFAULT_SCOPES)})"


def _stores(data_dir: Path, msp_id: str, passphrase_file: Path | None) -> tuple[UserStore, FileWallet]:
    state = rest_dir(data_dir.resolve(), msp_id)
    try:
        return UserStore(state), FileWallet(state / "wallet", read_passphrase(state, passphrase_file))
    except (ValueError, WalletError) as exc:
        raise fail(str(exc)) from None


def _read(path: Path | None) -> bytes | None:
    if path is None:
        return None
    try:
        return path.read_bytes()
    except OSError as exc:
        raise fail(f"cannot read {path}: {exc.strerror}") from None


@rest_app.command("enroll")
def enroll_command(
    user: str = typer.Argument(..., help="user name (letters, digits, . _ @ -)"), org: str = Org,
    data_dir: Path = DataDir,
    scope: list[str] = typer.Option(None, "--scope", help=ScopeHelp),
    admin: bool = typer.Option(False, "--admin", help="also grant the admin right (register certificates)"),
    csr: Path = typer.Option(None, "--csr", help="the user keeps their key: issue a certificate for this CSR"),
    certificate: Path = typer.Option(None, "--certificate", help="the user keeps their key: register this "
                                     "certificate (issued by the org CA)"),
    offline: bool = typer.Option(False, "--offline", help="the user keeps their key; the certificate is "
                                 "registered later"),
    passphrase_file: Path = PassphraseFile,
) -> None:
    """Enrol a user: issue an identity (custodial, key in the encrypted wallet) or register theirs, and print
    their API token once (only its hash is stored)."""
    if csr is not None and certificate is not None:
        raise fail("give --csr or --certificate, not both", 2)
    if (data_dir / "network.json").exists():
        check_definition(network_file_of(data_dir, None), org)
    scopes = tuple(scope or DEFAULT_SCOPES) + (("admin",) if admin else ())
    users, wallet = _stores(data_dir, org, passphrase_file)
    try:
        done = enroll(users, wallet, data_dir.resolve() / "crypto", org, user, scopes=tuple(dict.fromkeys(scopes)),
                      certificate_pem=_read(certificate), csr_pem=_read(csr), offline=offline)
    except (UserError, WalletError) as exc:
        raise fail(str(exc)) from None
    kind = "custodial identity in the service wallet" if done.custodial else (
        "registered certificate (the user signs offline)" if done.certificate_pem else "no certificate yet")
    err.print(f"enrolled {user} for {org}: {kind}; rights {', '.join(dict.fromkeys(scopes))}")
    if done.certificate_pem and not done.custodial and csr is not None:
        err.print("certificate issued for the CSR:")
        print(done.certificate_pem, end="")
    err.print("API token (shown only now; keep it secret):")
    print(done.token)


@rest_app.command("revoke")
def revoke_command(user: str = typer.Argument(..., help="the enrolled user"), org: str = Org,
                   data_dir: Path = DataDir) -> None:
    """Revoke a user's API token(s) at once (a running service refuses them from its next request) and remove the
    user; enrol them again for a new token."""
    try:
        count = UserStore(rest_dir(data_dir.resolve(), org)).revoke(user)
    except UnknownUser as exc:
        raise fail(f"{exc} for {org}") from None
    except UserError as exc:
        raise fail(str(exc)) from None
    err.print(f"revoked {count} token(s) of {user} for {org}; `gridledger rest enroll {user} --org {org}` gives "
              "them a new one")


@rest_app.command("register")
def register_command(
    user: str = typer.Argument(...), org: str = Org, data_dir: Path = DataDir,
    csr: Path = typer.Option(None, "--csr"), certificate: Path = typer.Option(None, "--certificate"),
    passphrase_file: Path = PassphraseFile,
) -> None:
    """Register the certificate of an enrolled user who keeps their own key (as POST /v1/users/{user}/certificate);
    prints the certificate."""
    users, wallet = _stores(data_dir, org, passphrase_file)
    try:
        issued = register_certificate(users, wallet, data_dir.resolve() / "crypto", org, user,
                                      certificate_pem=_read(certificate), csr_pem=_read(csr))
    except (UserError, WalletError) as exc:
        raise fail(str(exc)) from None
    print(issued.decode(), end="")


@rest_app.command("users")
def users_command(org: str = Org, data_dir: Path = DataDir, as_json: bool = JsonOption) -> None:
    """Enrolled users: rights and whether the service holds their key."""
    table = Table("user", "org", "rights", "key", "enrolled")
    try:
        listed = UserStore(rest_dir(data_dir.resolve(), org)).all()
    except UserError as exc:
        raise fail(str(exc)) from None
    if as_json:
        print_json([{"user": u.name, "msp_id": u.msp_id, "scopes": list(u.scopes), "custodial": u.custodial,
                     "certificate": u.certificate_pem, "enrolled_at": u.enrolled_at} for u in listed])
        return
    for user in listed:
        key = "custodial" if user.custodial else ("own key" if user.certificate_pem else "no certificate")
        table.add_row(user.name, user.msp_id, ", ".join(user.scopes), key, user.enrolled_at)
    console.print(table)
