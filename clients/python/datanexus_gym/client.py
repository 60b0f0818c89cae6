"""A Gymnasium-shaped client of the DataNexus Gym HTTP API (standard library only)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any, Dict, Optional, Tuple

from .errors import GymClientError, GymConnectionError, GymError, error_for


class HttpApi:
    """Thin JSON-over-HTTP calls; every error answer becomes a typed exception."""

    def __init__(self, base_url: str, timeout: float = 1800.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def call(self, method: str, route: str, body: Optional[Dict[str, Any]] = None) -> Any:
        data = None if body is None else json.dumps(body).encode("utf-8")
        headers = {} if body is None else {"content-type": "application/json"}
        req = urllib.request.Request(self.base_url + route, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as res:
                return self._json(res.status, res.read())
        except urllib.error.HTTPError as err:
            raise error_for(err.code, self._json(err.code, err.read(), allow_bad=True)) from None
        except (urllib.error.URLError, ConnectionError, TimeoutError) as err:
            raise GymConnectionError(f"{method} {self.base_url}{route}: {err}") from err

    @staticmethod
    def _json(status: int, raw: bytes, allow_bad: bool = False) -> Any:
        text = raw.decode("utf-8", errors="replace")
        try:
            return json.loads(text) if text else None
        except json.JSONDecodeError:
            if allow_bad:
                return {"message": text[:200]}
            raise GymConnectionError(f"the server answered {status} with non-JSON: {text[:200]}") from None


class DataNexusEnv:
    """One episode at a time, the Gymnasium way.

    ``reset(seed=None, options=None) -> (observation, info)``;
    ``step(action) -> (observation, reward, terminated, truncated, info)``; ``close()``.
    ``options`` may hold ``task`` (``"full"``, ``"bug:<ID>"`` or ``"scenario:<NN>"``), ``maxSteps``
    and ``hints`` (``"none"`` or ``"hints"``: scenario tasks add a hints section to the description).
    """

    def __init__(self, base_url: str = "http://127.0.0.1:8080", task: str = "full", timeout: float = 1800.0) -> None:
        self.api = HttpApi(base_url, timeout)
        self.task = task
        self.episode_id: Optional[str] = None

    def reset(self, seed: Optional[int] = None, options: Optional[Dict[str, Any]] = None) -> Tuple[Dict[str, Any], Dict[str, Any]]:
        options = dict(options or {})
        unknown = set(options) - {"task", "maxSteps", "hints"}
        if unknown:
            raise ValueError(f"unknown reset option(s): {', '.join(sorted(unknown))} (known: task, maxSteps, hints)")
        if self.episode_id is not None:
            self.close()
        body: Dict[str, Any] = {"task": options.get("task", self.task)}
        if seed is not None:
            body["seed"] = seed
        server_options = {k: options[k] for k in ("maxSteps", "hints") if k in options}
        if server_options:
            body["options"] = server_options
        res = self.api.call("POST", "/v1/reset", body)
        self.episode_id = res["episodeId"]
        info = dict(res["info"], episodeId=res["episodeId"])
        return res["observation"], info

    def step(self, action: Dict[str, Any]) -> Tuple[Dict[str, Any], float, bool, bool, Dict[str, Any]]:
        if self.episode_id is None:
            raise GymError("step() before reset(): call reset() first")
        res = self.api.call("POST", "/v1/step", {"episodeId": self.episode_id, "action": action})
        return res["observation"], float(res["reward"]), bool(res["terminated"]), bool(res["truncated"]), res["info"]

    def reward(self) -> Dict[str, Any]:
        """A full graded run of the workspace now (no step used); after the end, the final grade."""
        if self.episode_id is None:
            raise GymError("reward() before reset(): call reset() first")
        return self.api.call("POST", "/v1/reward", {"episodeId": self.episode_id})

    def tasks(self) -> list:
        return self.api.call("GET", "/v1/tasks")["tasks"]

    def health(self) -> Dict[str, Any]:
        return self.api.call("GET", "/health")

    def close(self) -> None:
        """Frees the episode's sandbox and workspace (an ended episode is already freed; closing it is harmless)."""
        episode_id, self.episode_id = self.episode_id, None
        if episode_id is None:
            return
        try:
            self.api.call("DELETE", f"/v1/episodes/{episode_id}")
        except GymClientError as err:
            if err.status not in (404, 410):  # already forgotten or reaped: nothing left to free
                raise

    def __enter__(self) -> "DataNexusEnv":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
