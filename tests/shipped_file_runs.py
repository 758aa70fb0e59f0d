"""Shared by the script tests that run a shipped parameter file, shortened by
--set overrides, each run into its own output folder."""
import csv
import os
import shutil
import subprocess
import sys


def mfdd_command(command, prm, folder, settings=(), ranks=1):
    """The arguments of `mfdd <command> <prm>` writing to @p folder with the
    --set overrides @p settings, under `mpirun -np <ranks>` if ranks > 1."""
    arguments = [os.environ["MFDD_BINARY"], command, prm, "--set", "Output/Folder=" + folder]
    for s in settings:
        arguments += ["--set", s]
    if ranks > 1:
        arguments = [shutil.which("mpirun") or "mpirun", "-np", str(ranks)] + arguments
    return arguments


def runner(prm_name, common):
    """run(command, folder, extra=()) for params/<prm_name> with the overrides
    @p common; exits the test with the run's output if mfdd fails."""
    mfdd = os.environ["MFDD_BINARY"]
    prm = os.path.join(os.environ["MFDD_SOURCE_DIR"], "params", prm_name)

    def run(command, folder, extra=()):
        result = subprocess.run([mfdd, command, prm, "--set", "Output/Folder=" + folder] + common + list(extra),
                                capture_output=True, text=True)
        if result.returncode != 0:
            print(result.stdout, result.stderr)
            sys.exit(1)

    return run


class Checks:
    """check(condition, message): records and prints a failed check; the
    test goes on, and ends by exiting with status 1 if check.failures."""

    def __init__(self):
        self.failures = []

    def __call__(self, condition, message):
        if not condition:
            self.failures.append(message)
            print("FAIL:", message)


def finish(work, failures):
    """Ends the test: exit status 1 if @p failures, keeping the outputs in
    @p work to look at; else 0, removing @p work."""
    if failures:
        print("outputs kept in", work)
        sys.exit(1)
    shutil.rmtree(work, ignore_errors=True)
    sys.exit(0)


def rows(path):
    """The rows of a CSV file as dictionaries."""
    with open(path) as f:
        return list(csv.DictReader(f))


def float_rows(path):
    """The rows of a CSV file of numbers as dictionaries of floats."""
    return [{k: float(v) for k, v in row.items()} for row in rows(path)]


def run_mfdd(*args):
    """Runs mfdd with @p args and returns its standard output; exits the test
    with the run's output if mfdd fails."""
    result = subprocess.run([os.environ["MFDD_BINARY"], *args], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"mfdd {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result.stdout
