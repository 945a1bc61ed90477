"""``themes models``: list, inspect, switch and delete model versions."""

import json
from typing import Annotated

import typer

from themes.cli import render
from themes.cli.options import AsJson, RegistryOption
from themes.cli.session import user_errors, warn

models_app = typer.Typer(help="List, inspect and switch model versions.", no_args_is_help=True)


@models_app.command("list")
def models_list(registry: RegistryOption = None, as_json: AsJson = False) -> None:
    """Every version, oldest first, with its metrics; * marks the active one."""
    from themes.store import Registry

    with user_errors():
        reg = Registry(registry)
        versions = [v.summary() for v in reg.versions()]
    warn(reg.problems())
    if as_json:
        render.console.print_json(json.dumps(versions))
        return
    render.versions(reg.root, versions)


@models_app.command("show")
def models_show(
    version: Annotated[str, typer.Argument(help="Version name, e.g. v002 or default.")],
    registry: RegistryOption = None,
) -> None:
    """A version's model card and facts."""
    from themes.store import CARD_FILE, Registry

    with user_errors():
        found = Registry(registry).get(version)
    render.console.print_json(json.dumps(found.summary()))
    card = found.path / CARD_FILE
    if card.exists():
        render.console.print(card.read_text(encoding="utf-8"), markup=False, highlight=False)


@models_app.command("use")
def models_use(
    version: Annotated[str, typer.Argument(help="Version to make active.")],
    registry: RegistryOption = None,
) -> None:
    """Make a version active (roll back or forward); tag and suggest then use it."""
    from themes.store import Registry, load_model

    with user_errors():
        reg = Registry(registry)
        load_model(reg.get(version).path)  # refuse a corrupt or tampered version
        used = reg.use(version)
    render.console.print(f"Version {used.name} is now active.")


@models_app.command("delete")
def models_delete(
    version: Annotated[str, typer.Argument(help="Version to delete.")],
    registry: RegistryOption = None,
    force: Annotated[bool, typer.Option("--force", help="Really delete it.")] = False,
) -> None:
    """Delete a version folder (needs --force; never the active one)."""
    from themes.store import Registry

    with user_errors():
        Registry(registry).delete(version, force=force)
    render.console.print(f"Version {version} deleted.")
