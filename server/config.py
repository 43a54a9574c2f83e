"""Every setting of `cashapp`, validated in one place.

A setting is one field of `Settings`, declared with `setting(...)`: its default, its environment
variable, its flag (if any), the parser that turns text into a value, what it expects (the
sentence every error ends with) and, for a secret, how to mask it. The CLI flags and
`--check-config` come from these fields (a test holds the README table to them), so adding a
setting is adding one field; checks between settings go in `Settings.check`.

Precedence: a flag over its environment variable over the default. An empty variable counts as
unset. Every bad value is one `ConfigError` line naming the variable or flag, the value (masked
when secret) and what is expected.
"""

from __future__ import annotations

import ipaddress
import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

DEFAULT_DATABASE_URL = "sqlite:///cashapp.db"
DEFAULT_LISTEN = "127.0.0.1:50051"
MAX_MESSAGE_BYTES = 16 * 1024 * 1024
MAX_CONCURRENT_RPCS = 256
DEFAULT_WORKERS = 8
# The largest bank file ImportStatement takes (CASHAPP_MAX_STATEMENT_BYTES): a year of a busy
# account's camt.053 is far below it, and the server holds one such file in memory per upload.
DEFAULT_MAX_STATEMENT_BYTES = 256 * 1024 * 1024
MAX_STATEMENT_BYTES_LIMIT = 4 * 1024 * 1024 * 1024
# More worker threads than the PostgreSQL pool has connections (10 + 20 overflow) would only
# queue on the pool; 64 leaves room for a bigger pool without inviting a typo like 8000.
MAX_WORKERS = 64
# Server processes on one port (`--processes`): each is a whole server with its own pool, so more
# than a few per core only adds connections; 64 is far past any useful value.
MAX_PROCESSES = 64
# Decide processes (`--decide-processes`): each plans one AutoApplyBacklog round at a time and
# holds its own engine and caches, so more than the cores only adds memory.
MAX_DECIDE_PROCESSES = 64
SHUTDOWN_GRACE_SECONDS = 10.0
MAX_DELIVERY_INTERVAL_SECONDS = 86_400.0
MAX_SHUTDOWN_GRACE_SECONDS = 300.0
# tenant_id columns are VARCHAR(64) (engine/storage/tables.py); a longer tenant name would make
# every write of that tenant fail on PostgreSQL, so it is refused at start.
MAX_TENANT_CHARS = 64
MAX_URL_FILE_BYTES = 64 * 1024
LOG_LEVELS = ("debug", "info", "warning", "error", "critical")
LOG_FORMATS = ("text", "json")
MATCHERS = ("auto", "rust", "python")
SUPPORTED_DATABASES = ("sqlite", "postgresql")
MASK = "***"
DEFAULT_SOURCE = "default"
ALL_COMMANDS = ("serve", "migrate", "demo", "tokens")


class ConfigError(ValueError):
    """A bad setting; the message is one line that names it, its value and what is expected."""


@dataclass(frozen=True, slots=True)
class Spec:
    """How one setting is read, checked and shown."""

    env: str
    flag: str | None
    parse: Callable[[str], Any]
    expects: str
    help: str
    # A secret's mask: text as given or the parsed value -> what may be printed. None: not secret.
    mask: Callable[[Any], str] | None = None
    commands: tuple[str, ...] = ("serve",)
    # A flag without a value (`--allow-insecure`): given, it reads as "true".
    switch: bool = False

    def show(self, value: Any) -> str:
        if value is None:
            return "(unset)"
        return self.mask(value) if self.mask is not None else str(value)


def setting(
    default: Any,
    *,
    env: str,
    parse: Callable[[str], Any],
    expects: str,
    help: str,
    flag: str | None = None,
    mask: Callable[[Any], str] | None = None,
    commands: tuple[str, ...] = ("serve",),
    switch: bool = False,
) -> Any:
    """A `Settings` field carrying its `Spec` (typed `Any` so the field keeps its annotation)."""
    spec = Spec(env, flag, parse, expects, help, mask, commands, switch)
    return field(default=default, metadata={"spec": spec})


# Parsers: text in, value out; a ValueError says what is wrong with the text -----------------


def parse_database_url(text: str) -> str:
    try:
        url = make_url(text)
    except ArgumentError:
        raise ValueError("not a SQLAlchemy URL") from None
    backend = url.get_backend_name()
    if backend not in SUPPORTED_DATABASES:
        raise ValueError(f"database {backend!r} is not supported")
    try:
        url.get_dialect().import_dbapi()
    except (NoSuchModuleError, ImportError):
        raise ValueError(f"driver {url.get_driver_name()!r} is not installed") from None
    return text


def read_database_url_file(text: str) -> str:
    """The path itself; the URL inside is read and checked by `_resolve_database_url`."""
    if not text.strip():
        raise ValueError("empty path")
    return text


def parse_listen(text: str) -> str:
    host, port = split_listen(text)
    if not host:
        raise ValueError("no host")
    if not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"port {port!r} is not 0..65535")
    if host.startswith("["):
        if not host.endswith("]") or not _is_ip(host[1:-1]):
            raise ValueError(f"{host!r} is not a bracketed IPv6 address")
    elif ":" in host:
        raise ValueError("an IPv6 address goes in brackets")
    elif not _is_ip(host) and not re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?", host):
        raise ValueError(f"{host!r} is neither an IP address nor a host name")
    return text


def split_listen(text: str) -> tuple[str, str]:
    host, sep, port = text.rpartition(":")
    if not sep:
        raise ValueError("no port")
    return host, port


def is_in_memory(database_url: str) -> bool:
    """An SQLite database that lives in one process's memory."""
    url = make_url(database_url)
    memory = url.database in (None, "", ":memory:") or url.query.get("mode") == "memory"
    return url.get_backend_name() == "sqlite" and memory


def is_loopback(listen: str) -> bool:
    """True for an IP literal in 127.0.0.0/8 or ::1 (or IPv4-mapped), and for `localhost`.

    Parsed, never a string prefix: `127.attacker.example` is a host name like any other, and a
    name resolves to whatever its owner likes.
    """
    host = split_listen(listen)[0].removeprefix("[").removesuffix("]")
    if host.lower() == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _bounded_int(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text.strip())
        except ValueError:
            raise ValueError("not an integer") from None
        if not low <= value <= high:
            raise ValueError(f"{value} is out of range")
        return value

    return parse


def _bounded_seconds(low: float, high: float) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text.strip())
        except ValueError:
            raise ValueError("not a number") from None
        if not math.isfinite(value) or not low <= value <= high:
            raise ValueError(f"{value} is out of range")
        return value

    return parse


def _choice(choices: tuple[str, ...]) -> Callable[[str], str]:
    def parse(text: str) -> str:
        value = text.strip().lower()
        if value not in choices:
            raise ValueError("not one of the choices")
        return value

    return parse


def parse_path(text: str) -> str:
    """A readable file; what it holds is checked at start (server.tls), naming the setting too."""
    if not text.strip():
        raise ValueError("empty path")
    if not Path(text).is_file():
        raise ValueError("no such file")
    return text


def parse_host(text: str) -> str:
    """A host name or an IP address (no port: that is its own setting)."""
    host = text.strip()
    if not (_is_ip(host.strip("[]")) or re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?", host)):
        raise ValueError("not a host name or IP address")
    return host


def parse_email(text: str) -> str:
    if not re.fullmatch(r"[^@\s]+@[^@\s]+", text.strip()):
        raise ValueError("not an e-mail address")
    return text.strip()


def parse_folder(text: str) -> str:
    """A directory, or a path where one can be made; an existing file is refused."""
    path = Path(text.strip())
    if path.exists() and not path.is_dir():
        raise ValueError("exists and is not a directory")
    return str(path)


def parse_http_url(text: str) -> str:
    if not re.fullmatch(r"https?://[^\s/]+(/\S*)?", text.strip()):
        raise ValueError("not an http:// or https:// URL")
    return text.strip()


def parse_bool(text: str) -> bool:
    value = text.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError("not a yes/no value")


def parse_matcher(text: str) -> str:
    """The engine reads CASHAPP_MATCHER itself on every solve; checking it here makes a typo,
    or `rust` without the compiled extension, a start-up error instead of a failed request."""
    value = _choice(MATCHERS)(text)
    if value == "rust":
        from engine.matching import solver

        try:
            solver.rust_backend()
        except ImportError:
            raise ValueError("the Rust extension is not built") from None
    return value


def parse_tokens(text: str) -> tuple[tuple[str, str], ...]:
    """`token1=tenantA,token2=tenantB` -> ((token, tenant), ...). Errors never quote a token."""
    pairs: list[tuple[str, str]] = []
    seen: dict[str, int] = {}
    entries = [part.strip() for part in text.split(",") if part.strip()]
    for number, entry in enumerate(entries, start=1):
        token, sep, tenant = (part.strip() for part in entry.partition("="))
        if not sep or not token or not tenant:
            raise ValueError(f"entry {number} is not token=tenant")
        if not all(0x21 <= ord(c) <= 0x7E for c in token):
            raise ValueError(f"the token of entry {number} has a space, a control or a non-ASCII character")
        if token in seen:
            raise ValueError(f"entry {number} repeats the token of entry {seen[token]}")
        if len(tenant) > MAX_TENANT_CHARS:
            raise ValueError(f"tenant {tenant[:16]!r}... of entry {number} has {len(tenant)} characters")
        if any(c.isspace() or unicodedata.category(c) in ("Cc", "Cf") for c in tenant):
            raise ValueError(f"tenant {tenant!r} of entry {number} has a space or a control character")
        seen[token] = number
        pairs.append((token, tenant))
    return tuple(pairs)


# Showing values: secrets masked -------------------------------------------------------------


def mask_urls_in(text: str) -> str:
    """`text` with the password of every `scheme://user:password@` in it masked."""
    return re.sub(r"(://[^:/@\s]*:)[^@\s]*@", rf"\g<1>{MASK}@", text)


def mask_url(text: str) -> str:
    """The URL with its password (in the authority or as a `password` query key) masked."""
    try:
        url = make_url(text)
    except ArgumentError:
        return mask_urls_in(text)
    query = {k: (MASK if k.lower() == "password" else v) for k, v in url.query.items()}
    masked: URL = url.set(query=query)
    # The rendered query is percent-encoded; the mask reads better as itself.
    return masked.render_as_string(hide_password=True).replace("=%2A%2A%2A", f"={MASK}")


def mask_tokens(value: str | tuple[tuple[str, str], ...]) -> str:
    """Tenants shown, tokens never: `***=tenantA,***=tenantB`."""
    if isinstance(value, str):
        tenants = [part.partition("=")[2].strip() for part in value.split(",") if part.strip()]
    else:
        tenants = [tenant for _, tenant in value]
    return ",".join(f"{MASK}={tenant}" for tenant in tenants) or "(none)"


# The settings -------------------------------------------------------------------------------

_DB_COMMANDS = ALL_COMMANDS
_LOG_COMMANDS = ("serve", "migrate")


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str = setting(
        DEFAULT_DATABASE_URL,
        env="CASHAPP_DATABASE_URL",
        flag="--database-url",
        parse=parse_database_url,
        expects="a SQLAlchemy URL: sqlite:///path or postgresql+psycopg://user:pass@host/db",
        help="SQLAlchemy URL; percent-encode special characters of a password",
        mask=mask_url,
        commands=_DB_COMMANDS,
    )
    database_url_file: str | None = setting(
        None,
        env="CASHAPP_DATABASE_URL_FILE",
        flag="--database-url-file",
        parse=read_database_url_file,
        expects="a readable file holding one SQLAlchemy URL (a trailing newline is stripped)",
        help="read the database URL from this file (keeps the password out of the environment)",
        commands=_DB_COMMANDS,
    )
    listen: str = setting(
        DEFAULT_LISTEN,
        env="CASHAPP_LISTEN",
        flag="--listen",
        parse=parse_listen,
        expects="host:port, e.g. 127.0.0.1:50051 or [::1]:50051 (port 0 picks a free one)",
        help="address to listen on",
    )
    workers: int = setting(
        DEFAULT_WORKERS,
        env="CASHAPP_WORKERS",
        flag="--workers",
        parse=_bounded_int(1, MAX_WORKERS),
        expects=f"an integer 1..{MAX_WORKERS}",
        help="threads for database and solver work",
    )
    processes: int = setting(
        1,
        env="CASHAPP_PROCESSES",
        flag="--processes",
        parse=_bounded_int(1, MAX_PROCESSES),
        expects=f"an integer 1..{MAX_PROCESSES}",
        help="server processes sharing the listen port (SO_REUSEPORT); 1 serves in this process",
    )
    decide_processes: int = setting(
        0,
        env="CASHAPP_DECIDE_PROCESSES",
        flag="--decide-processes",
        parse=_bounded_int(0, MAX_DECIDE_PROCESSES),
        expects=f"an integer 0..{MAX_DECIDE_PROCESSES}",
        help="worker processes that run AutoApplyBacklog's rounds, that many at once; 0 runs them "
        "one at a time on the server's threads",
    )
    tokens: tuple[tuple[str, str], ...] = setting(
        (),
        env="CASHAPP_TOKENS",
        parse=parse_tokens,
        expects=(
            "token=tenant pairs separated by commas; tokens printable ASCII without spaces, "
            f"tenants 1..{MAX_TENANT_CHARS} characters without spaces or control characters"
        ),
        help=(
            "`token1=tenantA,token2=tenantB`: bearer tokens and their tenants, next to those "
            "`cashapp tokens create` stores. With neither (and no mTLS) the server is "
            "single-tenant (`default`) and listens on loopback only"
        ),
        mask=mask_tokens,
    )
    shutdown_grace_seconds: float = setting(
        SHUTDOWN_GRACE_SECONDS,
        env="CASHAPP_SHUTDOWN_GRACE_SECONDS",
        flag="--shutdown-grace-seconds",
        parse=_bounded_seconds(0.0, MAX_SHUTDOWN_GRACE_SECONDS),
        expects=f"seconds, 0..{MAX_SHUTDOWN_GRACE_SECONDS:g}",
        help="how long in-flight calls may finish after SIGTERM",
    )
    log_level: str = setting(
        "info",
        env="CASHAPP_LOG_LEVEL",
        flag="--log-level",
        parse=_choice(LOG_LEVELS),
        expects="one of " + ", ".join(LOG_LEVELS),
        help="the lowest level logged (to stderr)",
        commands=_LOG_COMMANDS,
    )
    log_format: str = setting(
        "text",
        env="CASHAPP_LOG_FORMAT",
        flag="--log-format",
        parse=_choice(LOG_FORMATS),
        expects="text or json",
        help="`json`: one object per line with time, level, logger, message (and trace ids)",
        commands=_LOG_COMMANDS,
    )
    matcher: str = setting(
        "auto",
        env="CASHAPP_MATCHER",
        parse=parse_matcher,
        expects="auto, rust or python (rust needs the compiled extension)",
        help="solver implementation: `auto` is Rust when built, else Python",
    )

    tls_cert: str = setting(
        "",
        env="CASHAPP_TLS_CERT",
        flag="--tls-cert",
        parse=parse_path,
        expects="a PEM file: the server's certificate chain, leaf first",
        help="TLS: the server certificate chain (PEM)",
    )
    tls_key: str = setting(
        "",
        env="CASHAPP_TLS_KEY",
        flag="--tls-key",
        parse=parse_path,
        expects="a PEM file: the unencrypted private key of --tls-cert",
        help="TLS: the server's private key (PEM)",
    )
    tls_client_ca: str = setting(
        "",
        env="CASHAPP_TLS_CLIENT_CA",
        flag="--tls-client-ca",
        parse=parse_path,
        expects="a PEM file of CA certificates",
        help="mTLS: require client certificates from this CA; the subject CN is the tenant",
    )
    allow_insecure: bool = setting(
        False,
        env="CASHAPP_ALLOW_INSECURE",
        flag="--allow-insecure",
        parse=parse_bool,
        expects="1/true/yes/on or 0/false/no/off",
        help="allow a non-loopback listen without TLS (behind a TLS-terminating proxy)",
        switch=True,
    )
    max_statement_bytes: int = setting(
        DEFAULT_MAX_STATEMENT_BYTES,
        env="CASHAPP_MAX_STATEMENT_BYTES",
        flag="--max-statement-bytes",
        parse=_bounded_int(1, MAX_STATEMENT_BYTES_LIMIT),
        expects=f"an integer 1..{MAX_STATEMENT_BYTES_LIMIT} (bytes)",
        help="largest bank file ImportStatement accepts, in bytes",
    )
    # Where dunning notices go (engine/dunning/channels.py). Unset, a channel's deliveries wait
    # in the outbox (retried with backoff, then listed as FAILED) instead of being lost.
    smtp_host: str = setting(
        "",
        env="CASHAPP_SMTP_HOST",
        flag="--smtp-host",
        parse=parse_host,
        expects="a host name or address of an SMTP server",
        help="dunning e-mail: the SMTP server notices are sent through",
    )
    smtp_port: int = setting(
        25,
        env="CASHAPP_SMTP_PORT",
        flag="--smtp-port",
        parse=_bounded_int(1, 65535),
        expects="a port 1..65535",
        help="dunning e-mail: the SMTP server's port",
    )
    smtp_sender: str = setting(
        "cashapp@localhost",
        env="CASHAPP_SMTP_SENDER",
        flag="--smtp-sender",
        parse=parse_email,
        expects="an e-mail address",
        help="dunning e-mail: the From address",
    )
    dunning_http_url: str = setting(
        "",
        env="CASHAPP_DUNNING_HTTP_URL",
        flag="--dunning-http-url",
        parse=parse_http_url,
        expects="an http:// or https:// URL",
        help="dunning SMS and webhook: the HTTP provider notices are POSTed to as JSON",
    )
    dunning_delivery_interval_seconds: float = setting(
        0.0,
        env="CASHAPP_DUNNING_DELIVERY_INTERVAL_SECONDS",
        flag="--dunning-delivery-interval-seconds",
        parse=_bounded_seconds(0.0, MAX_DELIVERY_INTERVAL_SECONDS),
        expects=f"seconds, 0..{MAX_DELIVERY_INTERVAL_SECONDS:g} (0: the server does not send by itself)",
        help="send the dunning outbox every this many seconds (0: only DeliverDunningOutbox sends)",
    )
    print_folder: str = setting(
        "",
        env="CASHAPP_PRINT_FOLDER",
        flag="--print-folder",
        parse=parse_folder,
        expects="a directory (created when missing)",
        help="dunning letters: the folder their PDF files are written to",
    )

    def check(self) -> None:
        """Checks between settings (each one alone was checked when it was parsed). Beyond
        loopback the server also needs authentication, which server.app checks at start,
        because tokens may live in the database."""
        if bool(self.tls_cert) != bool(self.tls_key):
            raise ConfigError(
                "--tls-cert (CASHAPP_TLS_CERT) and --tls-key (CASHAPP_TLS_KEY) must be given "
                "together; expected both or neither"
            )
        if self.tls_client_ca and not self.tls_cert:
            raise ConfigError(
                "--tls-client-ca (CASHAPP_TLS_CLIENT_CA) (mTLS) needs --tls-cert (CASHAPP_TLS_CERT) "
                "and --tls-key (CASHAPP_TLS_KEY); expected all three"
            )
        if self.processes > 1 and int(split_listen(self.listen)[1]) == 0:
            # Each process would bind a free port of its own: N servers on N ports, not one.
            raise ConfigError(
                f"--processes (CASHAPP_PROCESSES)={self.processes} with --listen (CASHAPP_LISTEN)="
                f"{self.listen!r}: port 0 would give each process a port of its own; expected a "
                "fixed port, or --processes 1"
            )
        if self.decide_processes and self.processes > 1:
            # The server processes of --processes are daemons, and a daemon may not start processes.
            raise ConfigError(
                f"--decide-processes (CASHAPP_DECIDE_PROCESSES)={self.decide_processes} with "
                f"--processes (CASHAPP_PROCESSES)={self.processes}: the server processes cannot "
                "start decide processes of their own; expected one of the two"
            )
        if self.decide_processes and is_in_memory(self.database_url):
            # Each process would open a database of its own, empty.
            raise ConfigError(
                f"--decide-processes (CASHAPP_DECIDE_PROCESSES)={self.decide_processes} with an "
                "in-memory SQLite database: other processes cannot open it; expected a database "
                "file or PostgreSQL, or --decide-processes 0"
            )
        if not self.tls_cert and not self.allow_insecure and not is_loopback(self.listen):
            raise ConfigError(
                f"--listen (CASHAPP_LISTEN)={self.listen!r}: refusing to listen without TLS on an "
                "address that is not loopback; expected --tls-cert (CASHAPP_TLS_CERT) and "
                "--tls-key (CASHAPP_TLS_KEY), a loopback address (127.0.0.0/8, ::1, localhost), "
                "or --allow-insecure (CASHAPP_ALLOW_INSECURE) when a proxy in front terminates TLS"
            )


def specs(command: str | None = None) -> list[tuple[str, Any, Spec]]:
    """(name, default, spec) of every setting, or of those `command` reads."""
    return [
        (f.name, f.default, f.metadata["spec"])
        for f in fields(Settings)
        if command is None or command in f.metadata["spec"].commands
    ]


@dataclass(frozen=True, slots=True)
class Loaded:
    settings: Settings
    sources: dict[str, str]  # name -> "default", "CASHAPP_X" or "--x" (where the value came from)

    def given(self, name: str) -> bool:
        return self.sources[name] != DEFAULT_SOURCE


def load(command: str, flags: Mapping[str, Any], environ: Mapping[str, str]) -> Loaded:
    """The settings `command` reads: `flags` (argparse dest -> raw text or None) over `environ`.

    Raises ConfigError for the first bad setting, in declaration order.
    """
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for name, default, spec in specs(command):
        raw, source = _raw(name, spec, flags, environ)
        if raw is None:
            values[name], sources[name] = default, DEFAULT_SOURCE
            continue
        try:
            values[name] = spec.parse(raw)
        except ValueError as exc:
            shown = spec.show(raw)
            raise ConfigError(f"{source}={shown!r}: {exc}; expected {spec.expects}") from None
        sources[name] = source
    _resolve_database_url(values, sources)
    settings = Settings(**values)
    if command == "serve":
        settings.check()
    return Loaded(settings, sources)


def _raw(
    name: str, spec: Spec, flags: Mapping[str, Any], environ: Mapping[str, str]
) -> tuple[str | None, str]:
    if spec.flag is not None and flags.get(name) is not None:
        return str(flags[name]), spec.flag
    text = environ.get(spec.env, "").strip()
    if text:
        return text, spec.env
    return None, DEFAULT_SOURCE


def _resolve_database_url(values: dict[str, Any], sources: dict[str, str]) -> None:
    """CASHAPP_DATABASE_URL_FILE: the URL from a file. With both the URL and the file given at
    the same level (two flags, or two variables) it is not clear which is meant: an error."""
    if "database_url_file" not in values or sources["database_url_file"] == DEFAULT_SOURCE:
        return
    url_source, file_source = sources["database_url"], sources["database_url_file"]
    if url_source != DEFAULT_SOURCE:
        if url_source.startswith("--") == file_source.startswith("--"):
            raise ConfigError(f"{url_source} and {file_source} are both set; expected only one of them")
        if url_source.startswith("--"):
            values["database_url_file"], sources["database_url_file"] = None, DEFAULT_SOURCE
            return
    path = values["database_url_file"]
    expects = Settings.__dataclass_fields__["database_url_file"].metadata["spec"].expects
    try:
        with Path(path).open("rb") as file:
            data = file.read(MAX_URL_FILE_BYTES + 1)
        if len(data) > MAX_URL_FILE_BYTES:
            raise ValueError(f"larger than {MAX_URL_FILE_BYTES} bytes")
        text = data.decode("utf-8").rstrip("\r\n")
        values["database_url"] = parse_database_url(text)
    except OSError as exc:
        reason = f"cannot be read ({exc.strerror})"
        raise ConfigError(f"{file_source}={path!r}: {reason}; expected {expects}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{file_source}={path!r}: not UTF-8 text; expected {expects}") from None
    except ValueError as exc:
        raise ConfigError(f"the URL in {file_source}={path!r}: {exc}; expected {expects}") from None
    sources["database_url"] = f"{file_source}={path}"


def describe(loaded: Loaded) -> str:
    """The effective settings, secrets masked, one per line: what `--check-config` prints."""
    lines = []
    for name, _, spec in specs():
        if name not in loaded.sources:
            continue
        value = spec.show(getattr(loaded.settings, name))
        lines.append(f"{spec.env:32} {value}  ({loaded.sources[name]})")
    return "\n".join(lines)
