"""Run mutmut on the pure core and print the mutation score per module (`make mutate`).

    python tools/mutation_report.py                 # fresh run against [tool.mutmut]'s tests
    python tools/mutation_report.py --no-run        # report the last run again
    python tools/mutation_report.py --tests tests   # another selection (here the whole suite),
                                                    # run in a scratch copy of the project

The modules are [tool.mutmut] only_mutate in pyproject.toml; the equivalent mutants (no test
can tell them apart from the original) are [tool.mutation_report.equivalent], by mutmut name
with the reason, and leave the denominator:

    score = (killed + timeout) / (mutants - equivalent)

Every surviving mutant is listed by name; `.venv/bin/mutmut show NAME` prints its diff. The
exit status is 1 when a module scores below [tool.mutation_report] fail_under, when a mutant
was left unchecked, or when the equivalent list names a mutant that is gone or was killed.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KILLED = {"killed", "timeout", "caught by type check"}


@dataclass
class Module:
    path: str
    statuses: dict[str, str] = field(default_factory=dict)  # mutant name -> mutmut status
    equivalent: dict[str, str] = field(default_factory=dict)  # mutant name -> reason

    def count(self, *statuses: str) -> int:
        return sum(
            1
            for name, status in self.statuses.items()
            if status in statuses and name not in self.equivalent
        )

    @property
    def killed(self) -> int:
        return self.count(*KILLED)

    @property
    def counted(self) -> int:
        return len(self.statuses) - len(self.equivalent)

    @property
    def score(self) -> float:
        return 100.0 * self.killed / self.counted if self.counted else 100.0

    @property
    def live(self) -> dict[str, str]:
        """Mutants no test killed (survived, no tests, not checked, ...) and not excused."""
        return {
            name: status
            for name, status in self.statuses.items()
            if status not in KILLED and name not in self.equivalent
        }


def load_settings(project: Path) -> tuple[dict, dict]:
    data = tomllib.loads((project / "pyproject.toml").read_text("utf-8"))
    tool = data.get("tool", {})
    return tool.get("mutmut", {}), tool.get("mutation_report", {})


def module_paths(project: Path, mutmut: dict) -> list[str]:
    """The mutated files: every .py file under source_paths that matches only_mutate."""
    patterns = mutmut.get("only_mutate") or ["*"]
    found = []
    for source in mutmut.get("source_paths", []):
        for path in sorted((project / source).rglob("*.py")):
            relative = path.relative_to(project).as_posix()
            if any(fnmatch.fnmatch(relative, p) for p in patterns):
                found.append(relative)
    # Keep the order of only_mutate, so the table reads like the configuration.
    return sorted(found, key=lambda f: [fnmatch.fnmatch(f, p) for p in patterns].index(True))


def read_results(project: Path, paths: list[str], equivalent: dict[str, str]) -> list[Module]:
    from mutmut.stats import status_by_exit_code

    modules = []
    for path in paths:
        meta = project / "mutants" / f"{path}.meta"
        codes = json.loads(meta.read_text("utf-8"))["exit_code_by_key"] if meta.exists() else {}
        statuses = {name: status_by_exit_code[code] for name, code in codes.items()}
        prefix = path.removesuffix(".py").replace("/", ".") + "."
        excused = {n: r for n, r in equivalent.items() if n.startswith(prefix) and n in statuses}
        modules.append(Module(path, statuses, excused))
    return modules


def print_report(modules: list[Module], equivalent: dict[str, str], fail_under: float) -> bool:
    """The table, the live mutants and stale equivalence claims; True when all is well."""
    ok = True
    header = ("module", "mutants", "killed", "timeout", "survived", "other", "equiv.", "score")
    rows = []
    totals: Counter[str] = Counter()
    for m in modules:
        killed, timeout = m.count("killed", "caught by type check"), m.count("timeout")
        survived = m.count("survived")
        other = len(m.live) - survived
        values = (len(m.statuses), killed, timeout, survived, other, len(m.equivalent))
        totals.update(dict(zip(header[1:7], values, strict=True)))
        rows.append((m.path, *map(str, values), f"{m.score:.1f} %"))
        ok &= bool(m.statuses) and m.score >= fail_under
    counted = totals["mutants"] - totals["equiv."]
    total_score = 100.0 * (totals["killed"] + totals["timeout"]) / counted if counted else 100.0
    rows.append(("all", *(str(totals[h]) for h in header[1:7]), f"{total_score:.1f} %"))
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    print()
    for i, row in enumerate([header, *rows]):
        if i in (1, len(rows)):
            print("  ".join("-" * w for w in widths))
        print(
            "  ".join(
                c.ljust(w) if j == 0 else c.rjust(w)
                for j, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
    print(f"\nscore = (killed + timeout) / (mutants - equivalent); fail under {fail_under} %")

    live = [(name, status) for m in modules for name, status in m.live.items()]
    if live:
        print(f"\nLive mutants ({len(live)}; `.venv/bin/mutmut show NAME` prints the diff):")
        for name, status in live:
            print(f"  {status:<9} {name}")
        ok &= all(status != "not checked" for _, status in live)  # an interrupted run

    known = {name: status for m in modules for name, status in m.statuses.items()}
    stale = [
        f"  {name}: {known.get(name, 'no such mutant')}"
        for name in equivalent
        if known.get(name, "killed") in KILLED
    ]
    if stale:
        print("\nListed as equivalent but killed or gone (update [tool.mutation_report]):")
        print("\n".join(stale))
        ok = False
    return ok


def scratch_copy(tests: list[str]) -> Path:
    """A copy of the project whose mutmut configuration selects `tests` instead."""
    scratch = Path(tempfile.mkdtemp(prefix="mutation-"))
    mutmut, _ = load_settings(ROOT)
    copied = [*mutmut.get("source_paths", []), *mutmut.get("also_copy", []), "tests"]
    for name in dict.fromkeys(copied):
        source = ROOT / name
        if source.is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "results")
            shutil.copytree(source, scratch / name, ignore=ignore)
        elif source.exists():
            shutil.copy2(source, scratch / name)
    pyproject = (ROOT / "pyproject.toml").read_text("utf-8")
    old = "pytest_add_cli_args_test_selection = "
    lines = [
        f"{old}{json.dumps(tests)}" if line.startswith(old) else line
        for line in pyproject.splitlines()
    ]
    (scratch / "pyproject.toml").write_text("\n".join(lines) + "\n", "utf-8")
    return scratch


def run_mutmut(project: Path, max_children: int | None, fresh: bool) -> int:
    if fresh:
        # mutmut keeps a verdict until the mutated function changes, even when the tests
        # change, so a score is only honest from a fresh run.
        shutil.rmtree(project / "mutants", ignore_errors=True)
    command = [str(Path(sys.executable).parent / "mutmut"), "run"]
    if max_children:
        command += ["--max-children", str(max_children)]
    return subprocess.run(
        command, cwd=project, env={**os.environ, "PYTHONHASHSEED": "0"}
    ).returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-run", action="store_true", help="only report the last run")
    parser.add_argument("--reuse", action="store_true", help="keep mutmut's cached verdicts")
    parser.add_argument("--tests", nargs="+", help="test paths instead of [tool.mutmut]'s")
    parser.add_argument("--keep", action="store_true", help="keep the scratch copy of --tests")
    parser.add_argument("--max-children", type=int, help="parallel mutants (default: CPUs)")
    args = parser.parse_args()

    project = scratch_copy(args.tests) if args.tests else ROOT
    try:
        mutmut, settings = load_settings(project)
        if not args.no_run:
            code = run_mutmut(project, args.max_children, fresh=not args.reuse)
            if code:
                print(f"mutmut run failed with exit status {code}", file=sys.stderr)
                return code
        selection = " ".join(mutmut.get("pytest_add_cli_args_test_selection", [])) or "all"
        print(f"\nMutation score per module (tests: {selection})")
        equivalent = settings.get("equivalent", {})
        modules = read_results(project, module_paths(project, mutmut), equivalent)
        return 0 if print_report(modules, equivalent, settings.get("fail_under", 0.0)) else 1
    finally:
        if args.tests and not args.keep:
            shutil.rmtree(project, ignore_errors=True)
        elif args.tests:
            print(f"\nscratch copy kept in {project}")


if __name__ == "__main__":
    sys.exit(main())
