"""What a server is started with, validated once."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path

from themes.errors import ConfigError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
DEFAULT_MAX_BODY = 1_000_000
DEFAULT_MAX_RECORDS = 1_000
DEFAULT_MAX_UPLOAD = 50_000_000


@dataclass(frozen=True)
class ServeSettings:
    """Options of ``themes serve``.

    ``model`` serves that folder instead of the registry's active version; ``folder``
    is the only folder whose review files the page may open and save (none: uploads
    only). ``max_body`` limits a JSON request, ``max_upload`` an uploaded review file.
    """

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    model: Path | None = None
    registry: Path | None = None
    folder: Path | None = None
    max_body: int = DEFAULT_MAX_BODY
    max_records: int = DEFAULT_MAX_RECORDS
    max_upload: int = DEFAULT_MAX_UPLOAD

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise ConfigError(f"port must be 0 to 65535, found {self.port}; pass --port 8765")
        for name in ("max_body", "max_records", "max_upload"):
            if getattr(self, name) < 1:
                option = "--" + name.replace("_", "-")
                raise ConfigError(f"{option} must be at least 1, found {getattr(self, name)}")
        if self.folder is not None and not Path(self.folder).is_dir():
            raise ConfigError(
                f"--folder '{self.folder}' is not a folder; pass the folder holding review files"
            )

    @property
    def local_only(self) -> bool:
        """Whether only this machine can reach the server."""
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"
