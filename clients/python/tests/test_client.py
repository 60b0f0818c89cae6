"""The Python client against a real server on the mini fixture: python3 -m unittest discover -s clients/python"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import unittest
from pathlib import Path

from datanexus_gym import DataNexusEnv, GymClientError, GymConnectionError, GymError, GymInfraError, GymServerError, actions as A
from datanexus_gym.errors import error_for

from .server import FixtureServer, fix


class ClientAgainstServer(unittest.TestCase):
    server: FixtureServer

    @classmethod
    def setUpClass(cls) -> None:
        # one episode at a time, so a second reset is a real 503 (capacity)
        cls.server = FixtureServer("--max-episodes", "1")

    @classmethod
    def tearDownClass(cls) -> None:
        cls.server.stop()

    def env(self, task: str = "full") -> DataNexusEnv:
        env = DataNexusEnv(self.server.url, task=task)
        self.addCleanup(env.close)
        return env

    def test_tasks_and_health(self) -> None:
        env = self.env()
        self.assertEqual([t["id"] for t in env.tasks()], ["full", "bug:N1", "bug:R1", "bug:X1"])
        self.assertEqual(env.health()["status"], "ok")

    def test_gold_fix_resolves_a_bug_task(self) -> None:
        env = self.env("bug:N1")
        obs, info = env.reset(seed=3)
        self.assertEqual((obs["type"], info["task"], info["seed"], info["mode"]), ("reset", "bug:N1", 3, "resolved"))
        self.assertIn("unit/stats.test.js › stats › mean › averages every sample", obs["baseline"]["failing"])
        obs, reward, terminated, truncated, _ = env.step(A.read_file("src/stats.js", start_line=1, end_line=3))
        self.assertTrue(obs["ok"])
        self.assertEqual((obs["startLine"], reward, terminated, truncated), (1, 0.0, False, False))
        obs, *_ = env.step(A.patch(fix("N1")))
        self.assertEqual(obs["files"], [{"path": "src/stats.js", "change": "modified"}])
        obs, reward, terminated, truncated, info = env.step(A.submit())
        self.assertEqual((obs["outcome"], reward, terminated, truncated), ("resolved", 1.0, True, False))
        self.assertEqual(info["grade"]["bugs"], [{"id": "N1", "fixed": True, "failToPass": {"passed": 1, "total": 1}}])
        # after the end: a 409 with its stable code
        with self.assertRaises(GymClientError) as ctx:
            env.step(A.list_files())
        self.assertEqual((ctx.exception.status, ctx.exception.code), (409, "ENV_ERR_RESET_NEEDED"))

    def test_budget_truncates_with_the_final_grade(self) -> None:
        env = self.env("bug:X1")
        env.reset(options={"maxSteps": 1})
        obs, reward, terminated, truncated, info = env.step(A.exec_("ls src"))
        self.assertEqual((obs["type"], obs["stdout"].split(), terminated, truncated), ("exec", ["files.js", "retry.js", "sanitize.js", "stats.js", "strings.js"], False, True))
        self.assertEqual((reward, info["grade"]["grade"]["outcome"]), (0.0, "unresolved"))

    def test_errors_are_typed(self) -> None:
        env = self.env()
        with self.assertRaises(GymClientError) as bad_task:
            env.reset(options={"task": "bug:NOPE"})
        self.assertEqual((bad_task.exception.status, bad_task.exception.code), (400, "ENV_ERR_UNKNOWN_TASK"))
        # the hints option reaches the server, which refuses it for a task without hints
        with self.assertRaises(GymClientError) as no_hints:
            env.reset(options={"task": "bug:X1", "hints": "hints"})
        self.assertEqual((no_hints.exception.status, no_hints.exception.code), (400, "ENV_ERR_VALIDATION"))
        with self.assertRaises(ValueError):
            env.reset(options={"hint": "hints"})
        with self.assertRaises(GymError):
            env.step(A.submit())  # before reset: refused by the client itself
        env.reset()
        with self.assertRaises(GymClientError) as invalid:
            env.step({"type": "read_file"})
        self.assertEqual(invalid.exception.code, "ENV_ERR_VALIDATION")
        self.assertIn("path", invalid.exception.message)
        # the server runs one episode at most: a second reset is a 503 that is not an infra failure
        other = DataNexusEnv(self.server.url)
        with self.assertRaises(GymServerError) as busy:
            other.reset()
        self.assertEqual((busy.exception.status, busy.exception.code), (503, "ENV_ERR_CAPACITY"))
        self.assertNotIsInstance(busy.exception, GymInfraError)

    def test_example_plays_an_episode(self) -> None:
        here = Path(__file__).resolve().parents[1]
        run = subprocess.run([sys.executable, str(here / "example.py"), self.server.url, "bug:R1"], capture_output=True, text=True,
                             env={**os.environ, "PYTHONPATH": str(here)}, timeout=300)
        self.assertEqual(run.returncode, 0, run.stderr)
        lines = run.stdout.splitlines()
        self.assertEqual(lines[0], "bug:R1: 2 failing test(s), 100 steps")
        self.assertRegex(lines[1], r"^files: \d+$")
        self.assertEqual(lines[2], "reward 0.000, outcome unresolved, terminated True")

    def test_unknown_reset_option_is_refused_before_any_request(self) -> None:
        with self.assertRaises(ValueError):
            self.env().reset(options={"max_steps": 3})


class ClientOffline(unittest.TestCase):
    def test_unreachable_server_is_a_connection_error(self) -> None:
        with socket.socket() as s:  # a port nobody listens on: bound, never listening
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
            with self.assertRaises(GymConnectionError):
                DataNexusEnv(f"http://127.0.0.1:{port}").tasks()

    def test_error_mapping(self) -> None:
        infra = error_for(503, {"code": "ENV_ERR_INFRA", "message": "sandbox down"})
        self.assertIsInstance(infra, GymInfraError)
        self.assertEqual((infra.status, infra.code, infra.message), (503, "ENV_ERR_INFRA", "sandbox down"))
        self.assertIsInstance(error_for(500, {"code": "ENV_ERR_INTERNAL", "message": "x"}), GymServerError)
        self.assertIsInstance(error_for(404, None), GymClientError)

    def test_action_helpers(self) -> None:
        self.assertEqual(A.read_file("a.js", start_line=2), {"type": "read_file", "path": "a.js", "startLine": 2})
        self.assertEqual(A.run_tests(category="unit"), {"type": "run_tests", "category": "unit"})
        self.assertEqual(A.exec_("ls", timeout_ms=5), {"type": "exec", "command": "ls", "timeoutMs": 5})
        with self.assertRaises(ValueError):
            A.run_tests(category="nope")


if __name__ == "__main__":
    unittest.main()
