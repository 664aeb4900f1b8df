"""The layer rules (pyproject.toml: the import-linter contracts and ruff's banned-api; see
docs/architecture.md) cover every module of webapp, and they fail on a planted violation.

The source tree (webapp/ and pyproject.toml) is copied into a temporary directory and the
linters run there: on the clean copy (it passes), on a copy where every package found under
webapp/ imports SpiffWorkflow and an engine submodule, and on a copy with one violation of each
other rule.  Each planted violation must be named by the rule it breaks.  Nothing here lists
the packages: a new one is planted in as soon as it exists.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PLANT_SPIFF = "planted_spiff"
PLANT_ENGINE = "planted_engine_internals"


def _contracts() -> dict[str, dict[str, Any]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return {c["id"]: c for c in config["tool"]["importlinter"]["contracts"]}


def _names(layer: str) -> set[str]:
    """The module names of one layer as the contract writes it: "(a) : (b)" or "a | b"."""
    return {n.strip().strip("()") for n in re.split(r"[:|]", layer)}


def _packages() -> list[str]:
    """The packages directly under webapp (features, core, api...), found on disk."""
    return sorted(p.name for p in (ROOT / "webapp").iterdir() if (p / "__init__.py").is_file())


def _modules() -> list[str]:
    out = []
    for path in sorted((ROOT / "webapp").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        out.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return out


OUTSIDE_ENGINE = [f"webapp.{p}" for p in _packages() if p != "engine"]


def test_every_module_of_webapp_is_placed_by_a_layers_contract() -> None:
    """A package's modules are placed by "layers" (each package directly under webapp is one of
    its containers), the packages and top-level modules by "packages"; both are exhaustive, so
    lint-imports breaks on a module they do not place.  This test keeps them so and says where
    a module that is not covered should go."""
    contracts = _contracts()
    layers, packages = contracts["layers"], contracts["packages"]
    assert layers["containers"] == ["webapp.*"] and layers.get("exhaustive") is True
    assert packages["containers"] == ["webapp"] and packages.get("exhaustive") is True
    in_package = set().union(*map(_names, layers["layers"]))
    top_level = set().union(*map(_names, packages["layers"]))

    unplaced = []
    for module in _modules():
        parts = module.split(".")
        if len(parts) == 1:
            continue  # webapp itself: create_app, the container of "packages"
        if len(parts) == 2:
            if parts[1] not in top_level:
                unplaced.append(f"{module}: add it to a layer of the 'packages' contract")
        elif len(parts) == 3:
            if parts[2] not in in_package:
                unplaced.append(f"{module}: add '({parts[2]})' to a layer of the 'layers' contract")
        else:
            unplaced.append(f"{module}: nested packages are not covered; extend the contracts")
    assert not unplaced, "\n".join(unplaced)


def test_the_cross_package_edge_rule_names_the_edge_layer() -> None:
    """The "edge" contract repeats the first layer of "layers" (import-linter has no way to say
    "the same modules"): a module added to the edge layer must be added there too."""
    contracts = _contracts()
    edge = _names(contracts["layers"]["layers"][0])
    rule = contracts["edge"]
    assert set(rule["source_modules"]) == {"webapp.*.*"}
    top = {"webapp.web", "webapp.api", "webapp.cli", "webapp.idempotency"}  # the app's own edge
    assert set(rule["forbidden_modules"]) == top | {f"webapp.*.{name}" for name in edge}
    assert set(rule["ignore_imports"]) == {f"webapp.*.{name} -> webapp.**" for name in edge}


def _copy_source(dest: Path) -> Path:
    shutil.copytree(
        ROOT / "webapp",
        dest / "webapp",
        ignore=shutil.ignore_patterns("__pycache__", "static", "templates", "*.pyc"),
    )
    shutil.copy2(ROOT / "pyproject.toml", dest / "pyproject.toml")
    return dest


def _run(cwd: Path, *command: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["COLUMNS"] = "400"  # no wrapped lines in lint-imports' report
    return subprocess.run(  # noqa: S603 (our own virtualenv's tools)
        [str(BIN / command[0]), *command[1:]],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    return _run(cwd, "lint-imports", "--no-cache")


def _ruff_banned_api(cwd: Path) -> subprocess.CompletedProcess[str]:
    return _run(cwd, "ruff", "check", "--no-cache", "--select", "TID251", "webapp")


def _broken(report: str, contract: dict[str, Any]) -> str:
    """The part of lint-imports' report that explains why ``contract`` is broken ("" if kept)."""
    name = contract["name"]
    assert f"{name} BROKEN" in report or f"{name} KEPT" in report, report
    heading = rf"^{re.escape(name)}\n-+\n"
    match = re.search(heading + r"(.*?)(?=^\S[^\n]*\n-+\n|\Z)", report, re.S | re.M)
    return match.group(1) if match else ""


def test_the_clean_tree_passes(tmp_path: Path) -> None:
    tree = _copy_source(tmp_path)
    result = _lint_imports(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
    ruff = _ruff_banned_api(tree)
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr


def _report(tree: Path) -> dict[str, Any]:
    lint = _lint_imports(tree)
    return {"lint": lint, "report": lint.stdout + lint.stderr, "ruff": _ruff_banned_api(tree)}


@pytest.fixture(scope="module")
def planted_imports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A copy where every package but the engine (and webapp itself) imports SpiffWorkflow, and
    every package but the engine imports an engine submodule; the linters' reports on it."""
    tree = _copy_source(tmp_path_factory.mktemp("planted_imports"))
    spiff = ["webapp", *OUTSIDE_ENGINE]
    for package in spiff:
        folder = tree.joinpath(*package.split("."))
        (folder / f"{PLANT_SPIFF}.py").write_text("import SpiffWorkflow  # noqa: F401\n")
    for package in OUTSIDE_ENGINE:
        folder = tree.joinpath(*package.split("."))
        (folder / f"{PLANT_ENGINE}.py").write_text(
            "from webapp.engine.models import HumanTask  # noqa: F401\n"
        )
    return {"spiff": spiff, **_report(tree)}


@pytest.fixture(scope="module")
def planted_layers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A copy with one violation of each other rule (apart, so that one does not hide another:
    the imports planted above make cycles of their own)."""
    tree = _copy_source(tmp_path_factory.mktemp("planted_layers"))
    webapp = tree / "webapp"
    appended = {
        "reports/operations.py": "from webapp.reports import views",  # domain -> its edge
        "core/models.py": "from webapp.core import operations",  # models -> domain
        "publication/document.py": "from webapp.reports import views as report_views",
        "ledger/fields.py": "from webapp.assessment import sampling",  # a cycle
    }
    for path, line in appended.items():
        with (webapp / path).open("a", encoding="utf-8") as f:
            f.write(f"\n{line}  # noqa: E402, F401\n")
    (webapp / "core" / "new_helper.py").write_text("")  # a module in no layer
    (webapp / "newfeature").mkdir()  # a package in no layer
    (webapp / "newfeature" / "__init__.py").write_text("")
    return _report(tree)


@pytest.mark.parametrize("package", ["webapp", *OUTSIDE_ENGINE])
def test_spiffworkflow_outside_the_engine_breaks_lint_imports(
    planted_imports: dict[str, Any], package: str
) -> None:
    assert planted_imports["lint"].returncode != 0
    broken = _broken(planted_imports["report"], _contracts()["spiff"])
    assert f"- {package}.{PLANT_SPIFF} -> SpiffWorkflow" in broken, planted_imports["report"]


@pytest.mark.parametrize("package", ["webapp", *OUTSIDE_ENGINE])
def test_spiffworkflow_outside_the_engine_breaks_ruff(
    planted_imports: dict[str, Any], package: str
) -> None:
    ruff = planted_imports["ruff"]
    assert ruff.returncode != 0
    assert f"{package.replace('.', '/')}/{PLANT_SPIFF}.py:1:" in ruff.stdout, ruff.stdout


def test_the_engine_itself_may_import_spiffworkflow(planted_imports: dict[str, Any]) -> None:
    broken = _broken(planted_imports["report"], _contracts()["spiff"])
    assert "webapp.engine" not in broken
    flagged = set(re.findall(r"(webapp/\S+?\.py):\d+:\d+", planted_imports["ruff"].stdout))
    assert flagged == {f"{p.replace('.', '/')}/{PLANT_SPIFF}.py" for p in planted_imports["spiff"]}


@pytest.mark.parametrize("package", OUTSIDE_ENGINE)
def test_an_engine_submodule_imported_from_outside_breaks_lint_imports(
    planted_imports: dict[str, Any], package: str
) -> None:
    broken = _broken(planted_imports["report"], _contracts()["engine-face"])
    assert f"- {package}.{PLANT_ENGINE} -> webapp.engine.models" in broken, broken


def test_the_layers_inside_a_package(planted_layers: dict[str, Any]) -> None:
    assert planted_layers["lint"].returncode != 0
    broken = _broken(planted_layers["report"], _contracts()["layers"])
    assert "webapp.reports.operations is not allowed to import webapp.reports.views" in broken
    assert "webapp.core.models is not allowed to import webapp.core.operations" in broken
    assert "- webapp.core.new_helper" in broken  # exhaustive: a module in no layer


def test_the_edge_across_packages(planted_layers: dict[str, Any]) -> None:
    broken = _broken(planted_layers["report"], _contracts()["edge"])
    assert "webapp.publication.document is not allowed to import webapp.reports.views" in broken


def test_a_new_package_must_be_placed(planted_layers: dict[str, Any]) -> None:
    broken = _broken(planted_layers["report"], _contracts()["packages"])
    assert "- webapp.newfeature" in broken


def test_an_import_cycle_between_packages(planted_layers: dict[str, Any]) -> None:
    broken = _broken(planted_layers["report"], _contracts()["acyclic"])
    assert "- .ledger -> .assessment" in broken
