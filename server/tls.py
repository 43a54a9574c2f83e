"""Transport security for `cashapp serve`: TLS, mTLS, and the rule for non-loopback listeners.

Settings (flags over environment variables):

  --tls-cert / CASHAPP_TLS_CERT          PEM certificate chain of the server (leaf first)
  --tls-key / CASHAPP_TLS_KEY            PEM private key of that certificate (unencrypted)
  --tls-client-ca / CASHAPP_TLS_CLIENT_CA  PEM CA certificate(s): mTLS, every client must present
                                         a certificate chaining to one; its subject CN is the tenant
  --allow-insecure / CASHAPP_ALLOW_INSECURE  allow a non-loopback listener without TLS (behind a
                                         TLS-terminating proxy); authentication is still required

The files are read and checked once at start (a PEM that does not parse, a key that does not
belong to the certificate), each failure a ValueError naming the setting, because gRPC's own
errors for them are opaque and come late (at the first handshake).
"""

from __future__ import annotations

import argparse
import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import grpc
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization

# The settings, each with its flag and environment variable (error messages name both).
TLS_CERT = ("tls_cert", "--tls-cert", "CASHAPP_TLS_CERT")
TLS_KEY = ("tls_key", "--tls-key", "CASHAPP_TLS_KEY")
TLS_CLIENT_CA = ("tls_client_ca", "--tls-client-ca", "CASHAPP_TLS_CLIENT_CA")
ALLOW_INSECURE = ("allow_insecure", "--allow-insecure", "CASHAPP_ALLOW_INSECURE")
MAX_PEM_BYTES = 1024 * 1024  # a certificate file larger than this is not one
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")


def _named(setting: tuple[str, str, str]) -> str:
    return f"{setting[1]} ({setting[2]})"


# Settings: environment, flags, static checks -------------------------------------------------


def tls_from_env(environ: Mapping[str, str] = os.environ) -> dict[str, object]:
    """The TLS settings found in the environment, as Settings fields."""
    values: dict[str, object] = {
        name: environ.get(env, "") for name, _flag, env in (TLS_CERT, TLS_KEY, TLS_CLIENT_CA)
    }
    raw = environ.get(ALLOW_INSECURE[2], "").strip().lower()
    if raw not in _TRUE + _FALSE:
        raise ValueError(f"{ALLOW_INSECURE[2]} must be one of 1/true/yes/on or 0/false/no/off, not {raw!r}")
    values["allow_insecure"] = raw in _TRUE
    return values


def add_tls_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(TLS_CERT[1], metavar="PEM", help=f"server certificate chain (env {TLS_CERT[2]})")
    parser.add_argument(TLS_KEY[1], metavar="PEM", help=f"server private key (env {TLS_KEY[2]})")
    parser.add_argument(
        TLS_CLIENT_CA[1],
        metavar="PEM",
        help=f"mTLS: require client certificates from this CA; the subject CN is the tenant "
        f"(env {TLS_CLIENT_CA[2]})",
    )
    parser.add_argument(
        ALLOW_INSECURE[1],
        action="store_true",
        default=None,
        help=f"allow a non-loopback listen without TLS, e.g. behind a TLS proxy (env {ALLOW_INSECURE[2]}=1)",
    )


def tls_overrides(args: argparse.Namespace) -> dict[str, object]:
    """The TLS flags given on the command line (absent ones are None: the environment applies)."""
    return {
        name: getattr(args, name, None)
        for name, _flag, _env in (TLS_CERT, TLS_KEY, TLS_CLIENT_CA, ALLOW_INSECURE)
    }


def is_loopback(listen: str) -> bool:
    host = listen.rsplit(":", 1)[0].strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name other than localhost may resolve to anything


def check_transport(
    listen: str, tls_cert: str, tls_key: str, tls_client_ca: str, allow_insecure: bool
) -> None:
    """The static rules: cert and key go together, mTLS needs TLS, and a non-loopback listener
    needs TLS unless explicitly allowed without."""
    if bool(tls_cert) != bool(tls_key):
        raise ValueError(f"{_named(TLS_CERT)} and {_named(TLS_KEY)} must be given together")
    if tls_client_ca and not tls_cert:
        raise ValueError(f"{_named(TLS_CLIENT_CA)} (mTLS) needs {_named(TLS_CERT)} and {_named(TLS_KEY)}")
    if not tls_cert and not allow_insecure and not is_loopback(listen):
        raise ValueError(
            f"refusing to listen on {listen} without TLS: set {_named(TLS_CERT)} and {_named(TLS_KEY)}, "
            f"or {_named(ALLOW_INSECURE)} when a proxy in front terminates TLS"
        )


# Credentials ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ServerTls:
    """Checked PEM bytes for grpc.ssl_server_credentials."""

    certificate_chain: bytes
    private_key: bytes
    client_ca: bytes | None  # mTLS when set

    @property
    def mtls(self) -> bool:
        return self.client_ca is not None

    def credentials(self) -> grpc.ServerCredentials:
        return grpc.ssl_server_credentials(
            [(self.private_key, self.certificate_chain)],
            root_certificates=self.client_ca,
            require_client_auth=self.client_ca is not None,
        )


def _read(path: str, setting: tuple[str, str, str]) -> bytes:
    try:
        with Path(path).open("rb") as file:
            data = file.read(MAX_PEM_BYTES + 1)
    except OSError as exc:
        raise ValueError(f"{_named(setting)}: cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > MAX_PEM_BYTES:
        raise ValueError(f"{_named(setting)}: {path} is larger than {MAX_PEM_BYTES} bytes")
    return data


def _certificates(data: bytes, path: str, setting: tuple[str, str, str]) -> list[x509.Certificate]:
    try:
        return x509.load_pem_x509_certificates(data)
    except ValueError:
        raise ValueError(f"{_named(setting)}: {path} holds no PEM certificate") from None


def _public_key_der(key: object) -> bytes:
    public_bytes = key.public_bytes  # type: ignore[attr-defined]
    der: bytes = public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return der


def load_server_tls(tls_cert: str, tls_key: str, tls_client_ca: str) -> ServerTls | None:
    """Reads and checks the TLS files; None without TLS."""
    if not tls_cert:
        return None
    chain = _read(tls_cert, TLS_CERT)
    leaf = _certificates(chain, tls_cert, TLS_CERT)[0]
    key_pem = _read(tls_key, TLS_KEY)
    try:
        key = serialization.load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise ValueError(f"{_named(TLS_KEY)}: {tls_key} holds no unencrypted PEM private key") from None
    if _public_key_der(key.public_key()) != _public_key_der(leaf.public_key()):
        raise ValueError(f"{_named(TLS_KEY)}: {tls_key} is not the key of the certificate in {tls_cert}")
    client_ca = None
    if tls_client_ca:
        client_ca = _read(tls_client_ca, TLS_CLIENT_CA)
        _certificates(client_ca, tls_client_ca, TLS_CLIENT_CA)
    return ServerTls(chain, key_pem, client_ca)
