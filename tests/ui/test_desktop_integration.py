"""Desktop integration: the menu entry's actions run window commands, the window fits the
screen and names its library, and the desktop file, metainfo and MIME type agree."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PySide6.QtCore import QRect, QSettings, QSize
from pytestqt.qtbot import QtBot

from digestdesk.core.export import export_text
from digestdesk.core.library import Library
from digestdesk.paths import resolve_library
from digestdesk.ui import application
from digestdesk.ui.geometry import SCREEN_SHARE, clamped, fitted_size
from digestdesk.ui.main_window import MainWindow

ROOT = Path(__file__).resolve().parents[2]
RESOURCES = ROOT / "resources"
DESKTOP_ID = "org.digestdesk.DigestDesk"


def desktop_entry() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(RESOURCES / f"{DESKTOP_ID}.desktop", encoding="utf-8")
    return parser


def test_every_desktop_action_runs_a_window_command(window: MainWindow) -> None:
    entry = desktop_entry()
    actions = entry["Desktop Entry"]["Actions"].strip(";").split(";")
    assert actions, "the menu entry offers actions"
    for name in actions:
        command = entry[f"Desktop Action {name}"]["Exec"].split()
        assert command[0] == "digestdesk"
        if "--action" in command:
            assert command[command.index("--action") + 1] in window.registry.actions
        else:
            assert command[1:] == ["--demo"]


def test_one_desktop_id_across_desktop_file_metainfo_icon_and_mime() -> None:
    entry = desktop_entry()["Desktop Entry"]
    assert entry["Icon"] == DESKTOP_ID
    metainfo = ET.parse(RESOURCES / f"{DESKTOP_ID}.metainfo.xml").getroot()
    assert metainfo.findtext("id") == DESKTOP_ID
    assert metainfo.findtext("launchable") == f"{DESKTOP_ID}.desktop"
    claimed = set(entry["MimeType"].strip(";").split(";"))
    assert claimed == {"application/x-digestdesk+json", "application/atom+xml"}
    assert "application/json" not in claimed and "text/plain" not in claimed
    shots = {Path(i.text or "").name for i in metainfo.iter("image")}
    assert shots and shots <= {p.name for p in (ROOT / "docs" / "screenshots").glob("*.png")}
    main = {"Science", "Office", "Education", "Development", "Utility", "Graphics", "Network"}
    assert len(main & set(entry["Categories"].strip(";").split(";"))) == 1


def test_the_mime_type_recognises_an_export_by_content(library: Library) -> None:
    head = export_text(library, "json")[:64].encode()
    ns = {"m": "http://www.freedesktop.org/standards/shared-mime-info"}
    mime = ET.parse(RESOURCES / f"{DESKTOP_ID}.xml").getroot()
    match = mime.find("m:mime-type/m:magic/m:match", ns)
    assert match is not None
    assert match.get("value", "").encode() in head


@pytest.mark.skipif(shutil.which("update-mime-database") is None, reason="no shared-mime-info")
def test_shared_mime_info_accepts_the_type(tmp_path: Path) -> None:
    packages = tmp_path / "mime" / "packages"
    packages.mkdir(parents=True)
    shutil.copy(RESOURCES / f"{DESKTOP_ID}.xml", packages)
    result = subprocess.run(
        ["update-mime-database", "-V", str(tmp_path / "mime")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "application/x-digestdesk+json" in (tmp_path / "mime" / "types").read_text()


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None, reason="no desktop-file-utils")
def test_desktop_file_validates() -> None:
    result = subprocess.run(
        ["desktop-file-validate", str(RESOURCES / f"{DESKTOP_ID}.desktop")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0 and result.stdout.strip() == "", result.stdout


@pytest.mark.skipif(shutil.which("appstreamcli") is None, reason="no appstream")
def test_metainfo_validates() -> None:
    result = subprocess.run(
        ["appstreamcli", "validate", "--no-net", str(RESOURCES / f"{DESKTOP_ID}.metainfo.xml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout


def test_run_action_triggers_and_refuses_unknown_ids(qtbot: QtBot, window: MainWindow) -> None:
    triggered: list[bool] = []
    window.registry.actions["app.help"].triggered.connect(lambda: triggered.append(True))
    assert application.run_action(window, "app.help")
    assert triggered == [True]
    assert not application.run_action(window, "no.such.action")
    assert "no.such.action" in window.statusBar().currentMessage()
    for widget in application.QApplication.topLevelWidgets():
        if widget is not window and widget.isVisible():
            widget.close()


def test_a_second_launch_hands_its_action_to_the_open_window(
    qtbot: QtBot, window: MainWindow, library_dir: Path
) -> None:
    paths = resolve_library(library_dir)
    received: list[application.Request] = []
    server = application._listen_for_second_launch(paths, received.append)
    assert server is not None
    assert application._raise_running_instance(paths, [], "fetch.run")
    qtbot.waitUntil(lambda: bool(received), timeout=3000)
    assert received == [application.Request([], "fetch.run")]


def test_window_is_titled_by_library_name_and_fits_the_screen(
    qtbot: QtBot, library: Library, library_dir: Path, settings: QSettings
) -> None:
    window = MainWindow(library, settings, show_dialogs=False)
    qtbot.addWidget(window)
    assert window.windowTitle().startswith(f"{library_dir.name} — ")
    assert str(library_dir) not in window.windowTitle()
    screen = window.screen()
    area = screen.availableGeometry()
    # The default 1280x800 on the test's smaller screen: shrunk to fit.
    assert area.width() < 1280 or area.height() < 800, "the test screen is large"
    assert window.width() <= area.width() * SCREEN_SHARE + 1
    assert window.height() <= area.height() * SCREEN_SHARE + 1
    # A geometry saved on a larger screen comes back on this one whole.
    window.setGeometry(QRect(area.width(), area.height(), area.width() * 2, area.height() * 2))
    window.save_layout(settings)
    window.restore_layout(settings)
    assert area.contains(window.geometry())
    window.shutdown()


def test_fitting_and_clamping_rectangles(window: MainWindow) -> None:
    screen = window.screen()
    area = screen.availableGeometry()
    big = fitted_size(QSize(area.width() * 2, area.height() * 2), screen)
    assert big.width() <= area.width() * SCREEN_SHARE + 1
    assert big.height() <= area.height() * SCREEN_SHARE + 1
    assert fitted_size(QSize(100, 80), screen) == QSize(100, 80)
    assert area.contains(clamped(QRect(area.right() + 500, area.bottom() + 500, 300, 200), screen))
    assert area.contains(clamped(QRect(-4000, -4000, area.width() * 3, area.height() * 3), screen))
