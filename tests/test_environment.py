"""The Python environment: top-level pins (requirements.txt), the hashed lock generated from them
(requirements.lock, installed by scripts/setup.sh with --require-hashes) and the conda environment
(environment.yml, whose pip section lists the lock's pins) must agree.

Every helper asserts that its file is non-empty and holds the packages the pipeline cannot run
without, so that no test here passes on an empty or truncated file.
"""
import re
import tomllib

import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from tests.conftest import REPO

ESSENTIAL = {"tensorflow", "tf-keras", "tensorflow-model-optimization", "ai-edge-litert", "snakemake"}
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([A-Za-z0-9.+!_-]+)$")
HASH = re.compile(r"^--hash=sha256:[0-9a-f]{64}$")


def _name_and_version(pin: str) -> tuple[str, str]:
    match = PIN.match(pin)
    assert match, f"{pin!r} is not an exact `name==version` pin"
    return canonicalize_name(match.group(1)), match.group(2)


def _assert_essentials(names, where: str) -> None:
    missing = ESSENTIAL - set(names)
    assert not missing, f"{where} lacks {sorted(missing)} (empty or truncated?)"


def pinned_requirements() -> list[str]:
    lines = (REPO / "requirements.txt").read_text().splitlines()
    pins = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    assert pins, "requirements.txt holds no requirement"
    _assert_essentials([canonicalize_name(Requirement(pin).name) for pin in pins], "requirements.txt")
    return pins


def top_level_pins() -> dict[str, str]:
    """requirements.txt as {canonical name: version}."""
    pins = dict(_name_and_version(pin) for pin in pinned_requirements())
    assert len(pins) == len(pinned_requirements()), "requirements.txt names a package twice"
    return pins


def lock_text() -> str:
    return (REPO / "requirements.lock").read_text()


def lock_entries() -> list[dict]:
    """requirements.lock as a list of {pin, name, version, hashes, via} in file order.

    A requirement is one logical line (physical lines joined at a trailing backslash); the `# via`
    comments below it say why the resolver included it (`-r requirements.txt` for a top-level pin).
    """
    entries: list[dict] = []
    logical = ""
    for raw in lock_text().splitlines():
        line = raw.strip()
        if not logical and (not line or line.startswith("#")):
            if entries and line.startswith("#"):
                entries[-1]["via"].append(line)
            continue
        logical += " " + line.removesuffix("\\")
        if line.endswith("\\"):
            continue
        pin, *options = logical.split()
        logical = ""
        name, version = _name_and_version(pin)
        assert all(HASH.match(option) for option in options), f"{pin}: options other than sha256 hashes: {options}"
        entries.append({"pin": pin, "name": name, "version": version, "hashes": options, "via": []})
    assert not logical, "requirements.lock ends inside a requirement (truncated?)"
    assert entries, "requirements.lock holds no requirement"
    _assert_essentials([entry["name"] for entry in entries], "requirements.lock")
    return entries


def environment() -> dict:
    environment = yaml.safe_load((REPO / "environment.yml").read_text())
    assert isinstance(environment, dict) and environment.get("dependencies"), "environment.yml is empty"
    pip_sections = [item["pip"] for item in environment["dependencies"] if isinstance(item, dict)]
    assert len(pip_sections) == 1 and pip_sections[0], "environment.yml needs exactly one non-empty pip section"
    pins = [line for line in pip_sections[0] if not line.startswith("--")]
    _assert_essentials([_name_and_version(pin)[0] for pin in pins], "environment.yml's pip section")
    return environment


def conda_pip_section() -> list[str]:
    return next(item["pip"] for item in environment()["dependencies"] if isinstance(item, dict))


def test_every_requirement_is_pinned_exactly():
    for requirement in pinned_requirements():
        _name_and_version(requirement)


def test_lock_covers_every_top_level_pin():
    locked = {entry["name"]: entry for entry in lock_entries()}
    for name, version in top_level_pins().items():
        assert name in locked, f"{name} is pinned in requirements.txt but missing from requirements.lock"
        assert locked[name]["version"] == version, (
            f"{name}: requirements.txt pins {version}, requirements.lock has {locked[name]['version']}"
            " (regenerate the lock, command in its header)"
        )
        assert locked[name]["hashes"], f"{name} has no --hash=sha256 line in requirements.lock"


def test_lock_top_level_set_is_requirements_txt():
    """A pin removed from requirements.txt must not linger in the lock as a direct requirement."""
    direct = {entry["name"] for entry in lock_entries() if any("-r requirements.txt" in via for via in entry["via"])}
    assert direct == set(top_level_pins())


def test_lock_is_fully_pinned_and_hashed():
    entries = lock_entries()  # parsing asserts each line is `name==version` followed by sha256 hashes only
    names = [entry["name"] for entry in entries]
    assert len(names) == len(set(names)), "requirements.lock names a package twice"
    assert len(entries) > len(top_level_pins()), "requirements.lock is not the transitive set"
    for entry in entries:
        assert entry["hashes"], f"{entry['pin']} has no hash in requirements.lock"
    assert "--generate-hashes" in lock_text() and "uv pip compile" in lock_text()  # header: how to regenerate
    # Resolved for the oldest supported 3.11 (Debian 12's 3.11.2), so every locked version installs there.
    assert "--python-version 3.11.2" in lock_text()


def test_lock_holds_the_build_backend_for_the_editable_install():
    """scripts/setup.sh builds this project with --no-build-isolation, i.e. with the locked setuptools."""
    build_requires = tomllib.loads((REPO / "pyproject.toml").read_text())["build-system"]["requires"]
    locked = {entry["name"]: entry["version"] for entry in lock_entries()}
    for requirement in map(Requirement, build_requires):
        name = canonicalize_name(requirement.name)
        assert name in locked, f"build requirement {requirement} is not in requirements.lock (uv pip compile locks it by default)"
        assert SpecifierSet(str(requirement.specifier)).contains(locked[name]), f"locked {name} does not satisfy {requirement}"


def test_setup_installs_the_lock_with_hash_checking():
    setup = (REPO / "scripts" / "setup.sh").read_text()
    assert "--require-hashes -r requirements.lock" in setup
    stamp = next(line for line in setup.splitlines() if "sha256sum" in line and "want=" in line)
    assert "requirements.lock" in stamp, "editing the lock must reinstall"


def test_conda_pip_section_equals_lock():
    section = conda_pip_section()
    packages = [line for line in section if not line.startswith("--editable")]
    assert packages == [entry["pin"] for entry in lock_entries()]
    assert "--editable ." in section  # conda users get the project installed too
    conda = dict(_name_and_version(line) for line in packages)
    for name, version in top_level_pins().items():
        assert conda.get(name) == version, f"environment.yml: {name} is not pinned to requirements.txt's {version}"


def test_conda_python_matches_the_supported_version():
    assert "python=3.11" in environment()["dependencies"]
