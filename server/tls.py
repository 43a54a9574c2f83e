"""Transport security for `cashapp serve`: TLS and mTLS credentials from the settings
(server.config declares them and the rule for non-loopback listeners):

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
MAX_PEM_BYTES = 1024 * 1024  # a certificate file larger than this is not one


def _named(setting: tuple[str, str, str]) -> str:
    return f"{setting[1]} ({setting[2]})"


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
