"""``themes serve``: the page and the JSON API on this machine, the model loaded once."""

from pathlib import Path
from typing import Annotated

import typer

from themes.cli.options import ModelOption, RegistryOption
from themes.cli.render import console, err_console
from themes.cli.session import quiet_library_warnings, user_errors


def serve(
    host: Annotated[
        str,
        typer.Option(
            "--host",
            help="Address to listen on (default: this machine only). Another address lets "
            "other machines send complaint text across the network.",
        ),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8765,
    model: ModelOption = None,
    registry: RegistryOption = None,
    folder: Annotated[
        Path | None,
        typer.Option(
            "--folder", help="Folder whose review files the page may open and save (default: none)."
        ),
    ] = None,
    max_body: Annotated[
        int, typer.Option("--max-body", help="Largest JSON request accepted, in bytes.")
    ] = 1_000_000,
    max_records: Annotated[
        int, typer.Option("--max-records", help="Most records in one /api/tag call.")
    ] = 1_000,
    max_upload: Annotated[
        int, typer.Option("--max-upload", help="Largest review file uploaded, in bytes.")
    ] = 50_000_000,
) -> None:
    """Serve a local page (suggestions, review files, retraining) and a JSON API."""
    try:
        import uvicorn

        from themes.serve import ServeSettings, create_app
    except ImportError:
        err_console.print(
            "[bold red]error:[/bold red] the server needs the 'serve' extra; install it with "
            "pip install 'themes[serve]'"
        )
        raise typer.Exit(code=2) from None

    quiet_library_warnings()
    with user_errors():
        settings = ServeSettings(
            host=host,
            port=port,
            model=model,
            registry=registry,
            folder=folder,
            max_body=max_body,
            max_records=max_records,
            max_upload=max_upload,
        )
        app = create_app(settings)
    if not settings.local_only:
        err_console.print(
            f"[yellow]warning:[/yellow] listening on {host}: other machines can reach this "
            "server and complaint text will cross the network unencrypted; use the default "
            "127.0.0.1 unless you need this",
            highlight=False,
        )
    console.print(f"themes is serving {app.state.services.holder.name} at {settings.url}")
    console.print(f"API description: {settings.url}/docs  (Ctrl+C stops)", highlight=False)
    uvicorn.run(app, host=host, port=port, access_log=False, log_config=_log_config())


def _log_config() -> dict:
    """uvicorn's own messages and our access log (method, path, status, time; no bodies)."""
    line = {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": line},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "plain",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
            "themes.serve": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        },
    }
