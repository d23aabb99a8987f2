"""Fetching the desired state with real git: one branch of one repository into a cache folder.

``git`` runs as a subprocess with the agent's environment, so credentials come the way git takes
them: ``GIT_SSH_COMMAND`` (an ssh key and known_hosts from a mounted Secret) for ssh URLs, a
credential helper or ``GIT_ASKPASS`` (``GIT_CONFIG_GLOBAL`` pointing at a mounted gitconfig) for
https. Prompts are off (``GIT_TERMINAL_PROMPT=0``). Nothing here logs a secret: URLs are shown
without their user info, and git's own messages are redacted the same way.
"""
from __future__ import annotations

import hashlib
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .errors import TemporaryError

_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s]+@")


def redact(text: str) -> str:
    """``https://user:token@host/x`` -> ``https://***@host/x`` (anywhere in ``text``)."""
    return _USERINFO.sub(lambda m: f"{m.group('scheme')}***@", text)


class FetchError(TemporaryError):
    """git could not fetch or check out the branch: nothing is synced (nothing counts as deleted)."""


@dataclass(frozen=True)
class Checkout:
    revision: str
    folder: Path  # the checkout's root joined with the configured path


@dataclass(frozen=True)
class GitSource:
    url: str
    branch: str
    cache: Path
    path: str = ""
    timeout: float = 300.0

    @staticmethod
    def default_cache(url: str) -> Path:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        return base / "wlc" / "agent" / hashlib.sha256(url.encode()).hexdigest()[:16]

    def _git(self, *args: str) -> str:
        env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
        try:
            done = subprocess.run(["git", "-C", str(self.cache), *args], capture_output=True, text=True,
                                  timeout=self.timeout, env=env, check=False)
        except (OSError, subprocess.TimeoutExpired) as err:
            raise FetchError(f"git {args[0]}: {redact(str(err))}") from None
        if done.returncode != 0:
            lines = redact(done.stderr.strip()).splitlines()
            raise FetchError(f"git {args[0]} failed ({done.returncode}): {lines[-1] if lines else 'no message'}")
        return done.stdout.strip()

    def fetch(self) -> Checkout:
        """Fetch the branch's head and check it out (tracked files only, nothing left over)."""
        if not (self.cache / ".git").is_dir():
            self.cache.mkdir(parents=True, exist_ok=True)
            self._git("init", "--quiet")
        self._git("remote", "remove", "origin") if "origin" in self._git("remote").split() else None
        self._git("remote", "add", "origin", self.url)
        self._git("fetch", "--quiet", "--depth", "1", "origin", f"+refs/heads/{self.branch}:refs/wlc/fetched")
        revision = self._git("rev-parse", "--verify", "refs/wlc/fetched^{commit}")
        self._git("checkout", "--quiet", "--force", "--detach", revision)
        self._git("clean", "-ffdxq")
        folder = self.cache / self.path if self.path else self.cache
        if not folder.is_dir():
            raise FetchError(f"revision {revision[:12]} has no folder {self.path!r}")
        return Checkout(revision, folder)
