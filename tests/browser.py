"""Headless Chromium driven over its DevTools protocol: open a page offline, type into it as a person would
(one key event per character), read what the page shows and what its console reports."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import websocket

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--remote-debugging-port=0", "--window-size=1000,1400",
]  # fmt: skip
KEYS = {"Enter": 13, "ArrowDown": 40, "ArrowUp": 38}


class Browser:
    """One headless Chromium with one page; use as a context manager."""

    def __init__(self, profile: Path, timeout_s: float = 60):
        chromium = shutil.which("chromium")
        assert chromium, "chromium is installed by `make test`"
        self.process = subprocess.Popen(
            [chromium, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        port_file, deadline = profile / "DevToolsActivePort", time.monotonic() + timeout_s
        while not port_file.exists() or not port_file.read_text().strip():
            assert time.monotonic() < deadline, "Chromium did not open its DevTools port"
            time.sleep(0.1)
        port = port_file.read_text().split()[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=timeout_s) as answer:
            page = next(target for target in json.load(answer) if target["type"] == "page")
        self.socket = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=timeout_s, suppress_origin=True)
        self.calls = 0
        self.events: list[dict] = []

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *_) -> None:
        """Close Chromium as its own menu would (it stops its helper processes and is done with its profile, which
        a caller may then delete), and stop whatever of its process group is left."""
        self.calls += 1
        self.socket.send(json.dumps({"id": self.calls, "method": "Browser.close"}))
        self.socket.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.terminate()
            self.process.wait(timeout=30)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)

    def call(self, method: str, **params) -> dict:
        """Send one protocol command and return its result (events in between are kept in ``events``)."""
        self.calls += 1
        self.socket.send(json.dumps({"id": self.calls, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == self.calls:
                assert "error" not in message, message["error"]
                return message["result"]
            if "method" in message:
                self.events.append(message)

    def open(self, url: str, settle_s: float = 0.5) -> None:
        """Load a page, wait until its scripts have run, then ``settle_s`` more for what they start."""
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable")
        self.events.clear()
        self.call("Page.navigate", url=url)
        deadline = time.monotonic() + 60
        while self.evaluate("document.readyState") != "complete":
            assert time.monotonic() < deadline, f"{url} did not finish loading"
            time.sleep(0.1)
        time.sleep(settle_s)
        self.evaluate("0")

    def script_errors(self) -> list[str]:
        """What went wrong in the page since it was opened, as its console shows it: uncaught exceptions,
        ``console.error`` calls, errors Chromium logged, and files it could not load from the disk. A resource
        refused from the internet (the map tiles, offline) is not a script error."""
        errors = []
        for event in self.events:
            method, params = event["method"], event["params"]
            if method == "Runtime.exceptionThrown":
                details = params["exceptionDetails"]
                errors.append(f"exception: {details.get('exception', {}).get('description') or details['text']}")
            elif method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
                errors.append("console: " + " ".join(str(a.get("value", a.get("description"))) for a in params["args"]))
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                entry = params["entry"]
                offline = entry["source"] == "network" and not entry.get("url", "").startswith("file:")
                if not offline:
                    errors.append(f"log ({entry['source']}): {entry['text']} {entry.get('url', '')}")
        return errors

    def evaluate(self, expression: str):
        """The value of a JavaScript expression in the page."""
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")

    def type(self, text: str) -> None:
        """Type ``text`` into the focused element, one key per character."""
        for character in text:
            self.call("Input.dispatchKeyEvent", type="keyDown", text=character, key=character)
            self.call("Input.dispatchKeyEvent", type="keyUp", key=character)

    def press(self, key: str) -> None:
        """Press a named key (``Enter``, ``ArrowDown``...)."""
        code = KEYS[key]
        text = {"text": "\r"} if key == "Enter" else {}
        self.call("Input.dispatchKeyEvent", type="keyDown", key=key, code=key, windowsVirtualKeyCode=code, **text)
        self.call("Input.dispatchKeyEvent", type="keyUp", key=key, code=key, windowsVirtualKeyCode=code)
