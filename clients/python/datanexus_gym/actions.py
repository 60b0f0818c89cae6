"""Typed constructors of the environment's actions (the JSON objects ``POST /v1/step`` takes)."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

Action = Dict[str, Any]

CATEGORIES = ("unit", "integration", "contract", "chaos", "security", "performance", "system", "stress")


def _drop_none(d: Dict[str, Any]) -> Action:
    return {k: v for k, v in d.items() if v is not None}


def read_file(path: str, start_line: Optional[int] = None, end_line: Optional[int] = None) -> Action:
    """Read a workspace file (relative path, or /workspace/...), optionally a line range (1-based, inclusive)."""
    return _drop_none({"type": "read_file", "path": path, "startLine": start_line, "endLine": end_line})


def list_files(path: Optional[str] = None) -> Action:
    """List a directory recursively (default: the whole workspace); directories end with /."""
    return _drop_none({"type": "list_files", "path": path})


def search(pattern: str, path: Optional[str] = None) -> Action:
    """grep -E a POSIX extended regular expression over the workspace (or one path)."""
    return _drop_none({"type": "search", "pattern": pattern, "path": path})


def exec_(command: str, timeout_ms: Optional[int] = None) -> Action:
    """Run a bash command in the sandbox, cwd /workspace. (``exec`` is a Python builtin, hence the underscore.)"""
    return _drop_none({"type": "exec", "command": command, "timeoutMs": timeout_ms})


def patch(diff: str) -> Action:
    """Apply a unified diff; it applies entirely or not at all."""
    return {"type": "patch", "diff": diff}


def run_tests(category: Optional[str] = None, files: Optional[List[str]] = None, test_name_pattern: Optional[str] = None) -> Action:
    """Run jest in the workspace: one category, some files, or a name pattern."""
    if category is not None and category not in CATEGORIES:
        raise ValueError(f"category must be one of {', '.join(CATEGORIES)}, got {category!r}")
    return _drop_none({"type": "run_tests", "category": category, "files": files, "testNamePattern": test_name_pattern})


def submit() -> Action:
    """End the episode: the workspace is graded and the reward returned."""
    return {"type": "submit"}
