"""Starts a real DataNexus Gym server on the grader's mini fixture (three bugs) for the tests."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
FIXTURE_MANIFEST = REPO / "tests" / "fixtures" / "mini-manifest" / "manifest.json"


def fix(bug_id: str) -> str:
    """A gold fix, read on the host like the evaluation runner does."""
    return (FIXTURE_MANIFEST.parent / "fixes" / f"{bug_id}.patch").read_text()


class FixtureServer:
    def __init__(self, *extra: str) -> None:
        self.state_dir = tempfile.mkdtemp(prefix="dn-py-client-")
        os.chmod(self.state_dir, 0o755)  # the sandbox's own uids must reach the workspaces
        cmd = [
            "node", str(REPO / "environment" / "bin" / "datanexus-env.js"), "serve", "--port", "0",
            "--target", str(REPO / "tests" / "fixtures" / "mini-target"), "--manifest", str(FIXTURE_MANIFEST),
            "--node-modules", str(REPO / "target" / "node_modules"), "--state-dir", self.state_dir,
            "--trajectories", "none", "--namespace-pool", "0", "--log-level", "info", *extra,
        ]
        self.stderr = open(os.path.join(self.state_dir, "server.stderr"), "w+")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.stderr, text=True)
        self.url = self._wait_listening()

    def _wait_listening(self) -> str:
        # fastify logs the address it bound (port 0 → a free one): wait for that line, not for a time
        seen = []
        for line in self.proc.stdout:
            seen.append(line)
            try:
                msg = json.loads(line).get("msg", "")
            except json.JSONDecodeError:
                continue
            if msg.startswith("Server listening at "):
                # keep draining the log so the server never blocks on a full pipe
                threading.Thread(target=self.proc.stdout.read, daemon=True).start()
                return msg[len("Server listening at "):].strip()
        raise RuntimeError(f"the server exited before listening ({self.proc.wait()}):\n{''.join(seen)[-2000:]}\n{self._stderr()}")

    def stop(self) -> None:
        self.proc.terminate()  # SIGTERM: the server kills sandboxes, drops namespaces, exits 0
        code = self.proc.wait(timeout=120)
        err = self._stderr()
        self.stderr.close()
        shutil.rmtree(self.state_dir, ignore_errors=True)
        if code != 0:
            raise RuntimeError(f"the server exited {code} on SIGTERM: {err}")

    def _stderr(self) -> str:
        self.stderr.flush()
        self.stderr.seek(0)
        return self.stderr.read()[-2000:]
