"""Home paints from the scenario rows saved at the last start, and never shows a stale list."""

from __future__ import annotations

import json
import os
from pathlib import Path

from textual.widgets import DataTable

from roleplay import catalog, library
from roleplay.app.app import RoleplayApp
from roleplay.settings import Settings, config_path
from roleplay.store import Store

SIZE = (80, 24)


def home_rows(app: RoleplayApp) -> list[str]:
    table = app.screen.query_one("#scenarios", DataTable)
    return [str(key.value) for key in table.rows]


def an_app(tmp_path: Path) -> RoleplayApp:
    store = Store(tmp_path / "roleplay.db")
    store.rep("Ana")
    store.set_pref("rep", "Ana")
    return RoleplayApp(Settings(offline=True, data_dir=tmp_path), store=store)


def user_scenario(tmp_path: Path) -> None:
    """A copy of a shipped scenario under the user's own library, with its own id and title."""
    src = library.shipped_folder() / "scenarios" / "price-objection.yaml"
    text = src.read_text().replace("id: price-objection", "id: my-price-call", 1)
    text = text.replace("title:", "title: My own call #", 1)
    folder = config_path().parent / "library" / "scenarios"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "my-price-call.yaml").write_text(text)


async def test_the_first_start_reads_the_library_and_saves_the_rows(tmp_path: Path) -> None:
    app = an_app(tmp_path)
    assert app._lib is not None  # nothing saved: read before the first paint
    saved = catalog.saved_rows(tmp_path / "catalog.json", library.default_folders())
    assert saved == catalog.rows_of(library.load()) and saved
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert home_rows(app) == sorted(r.id for r in saved)


async def test_later_starts_paint_from_the_saved_rows_then_read_the_library(tmp_path: Path) -> None:
    an_app(tmp_path)  # saves the rows
    app = an_app(tmp_path)
    assert app._lib is None and app.catalog
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.pause()
        assert app._lib is not None  # read just after the first paint
        assert home_rows(app) == sorted(r.id for r in catalog.rows_of(app.lib))


async def test_a_new_library_file_is_listed_at_the_next_start(tmp_path: Path) -> None:
    an_app(tmp_path)
    user_scenario(tmp_path)
    app = an_app(tmp_path)
    assert app._lib is not None  # the files changed: the saved rows are not used
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "my-price-call" in home_rows(app)
    assert "my-price-call" in {r.id for r in catalog.saved_rows(tmp_path / "catalog.json",
                                                                 library.default_folders())}


async def test_rows_that_differ_from_the_files_are_replaced_after_the_first_paint(tmp_path: Path) -> None:
    """Saved rows that do not match what the files say (written by hand, or by a bug) are corrected
    as soon as the library is read, on the screen and in the file."""
    an_app(tmp_path)
    file = tmp_path / "catalog.json"
    data = json.loads(file.read_text())
    data["rows"] = [{**data["rows"][0], "id": "not-a-scenario", "title": "Stale"}]
    file.write_text(json.dumps(data))
    app = an_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.pause()
        assert "not-a-scenario" not in home_rows(app)
        assert "price-objection" in home_rows(app)
    assert "not-a-scenario" not in file.read_text()


def test_a_damaged_or_foreign_saved_file_is_ignored(tmp_path: Path) -> None:
    folders = library.default_folders()
    file = tmp_path / "catalog.json"
    for text in ("", "not json", "[]", '{"fingerprint": 3}', json.dumps({"fingerprint": catalog.fingerprint(folders),
                                                                          "rows": [{"id": 1}]})):
        file.write_text(text)
        assert catalog.saved_rows(file, folders) is None


def test_a_data_folder_that_cannot_be_written_only_costs_the_saving(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        catalog.save_rows(folder / "catalog.json", library.default_folders(), [])
        if os.geteuid() != 0:  # root writes through chmod
            assert not (folder / "catalog.json").exists()
        assert [p.name for p in folder.iterdir() if p.name.endswith(".tmp")] == []
    finally:
        folder.chmod(0o700)


def test_editing_a_file_changes_the_fingerprint(tmp_path: Path) -> None:
    user_scenario(tmp_path)
    folders = library.default_folders()
    before = catalog.fingerprint(folders)
    assert catalog.fingerprint(folders) == before
    path = config_path().parent / "library" / "scenarios" / "my-price-call.yaml"
    path.write_text(path.read_text() + "\n")
    assert catalog.fingerprint(folders) != before
    path.unlink()
    assert catalog.fingerprint(folders) not in (before,)
