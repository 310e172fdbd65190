"""Configuration and on-disk layout of an organisation's REST service.

Everything lives below the network's data folder (the `--data-dir` every command takes), one folder per org:
    <data-dir>/rest/<msp_id>/endpoint.json       host, port and URL when `network up` runs the service
    <data-dir>/rest/<msp_id>/users.json          enrolled users: MSP id, scopes, certificate, SHA-256 of the token
    <data-dir>/rest/<msp_id>/wallet/             custodial identities (FileWallet: keys encrypted at rest)
    <data-dir>/rest/<msp_id>/wallet.passphrase   the wallet passphrase, made on first use, mode 0600, unless
                                                 GRIDLEDGER_WALLET_PASSPHRASE or a --passphrase-file supplies it
    <data-dir>/rest/<msp_id>/rest.log, pid       output and process id when `network up` runs it
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

PASSPHRASE_ENV = "GRIDLEDGER_WALLET_PASSPHRASE"
MiB = 1024 * 1024


class RestConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    msp_id: str = Field(description="the organisation this service acts for")
    data_dir: Path = Field(description="the network's data folder (crypto material, rest state)")
    network_file: Path = Field(description="the network definition")
    host: str = "127.0.0.1"
    port: int = Field(ge=0, le=65535)
    peer: str | None = Field(default=None, description="gateway peer name (default: the org's first peer)")
    peer_address: str | None = Field(default=None, description="host:port of the gateway peer (default: 127.0.0.1 "
                                     "and the peer's port; containers name the peer's service instead)")
    identity: str = Field(default="admin", description="crypto-dir member whose TLS certificate the service "
                          "presents and who reads chain information (an admin of the org)")
    passphrase_file: Path | None = None
    max_body_bytes: int = Field(default=1 * MiB, ge=1024, le=64 * MiB)
    max_header_bytes: int = Field(default=16 * 1024, ge=1024, le=1 * MiB, description="request line and headers; "
                                  "more is a 400")
    header_timeout_s: float = Field(default=10.0, gt=0, le=600, description="a request's headers must arrive this "
                                    "soon after the connection opens or the last response ends; else 408, closed")
    body_timeout_s: float = Field(default=30.0, gt=0, le=600, description="a request's body must arrive this soon "
                                  "after its headers; else 408")
    keep_alive_timeout_s: float = Field(default=5.0, gt=0, le=600, description="an idle keep-alive connection is "
                                        "closed after this long")
    max_concurrency: int = Field(default=2000, ge=1, le=100_000, description="open connections and requests in "
                                 "progress; beyond it new requests get 503")
    max_attempts: int = Field(default=3, ge=1, le=10, description="submit attempts for retryable failures")
    request_timeout_s: float = Field(default=30.0, gt=0, le=600)
    pending_ttl_s: float = Field(default=600.0, gt=0, description="how long a prepared offline transaction waits")
    max_pending: int = Field(default=10_000, ge=1)
    extensions: list[str] = Field(default_factory=list, description="'module:function' router factories mounted "
                                  "under /v1 (e.g. a DSM API)")

    @property
    def state_dir(self) -> Path:
        return rest_dir(self.data_dir, self.msp_id)

    @property
    def crypto_dir(self) -> Path:
        return self.data_dir / "crypto"


def rest_dir(data_dir: Path, msp_id: str) -> Path:
    return data_dir / "rest" / msp_id


def read_passphrase(state_dir: Path, passphrase_file: Path | None = None) -> str:
    """The wallet passphrase: $GRIDLEDGER_WALLET_PASSPHRASE, else the given file, else <state>/wallet.passphrase
    (created with a random value, mode 0600, on first use: convenient for a local testbed; in production keep the
    passphrase outside the data folder)."""
    from_env = os.environ.get(PASSPHRASE_ENV)
    if from_env:
        return from_env
    path = passphrase_file or state_dir / "wallet.passphrase"
    if passphrase_file is None and not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(32) + "\n")
    try:
        text = path.read_text().strip()
    except OSError as exc:
        raise ValueError(f"cannot read the wallet passphrase from {path}: {exc.strerror}") from None
    if not text:
        raise ValueError(f"the wallet passphrase file {path} is empty")
    return text
