"""Checks for the python integration tests: each prints `ok NAME` or `FAIL NAME: why`, and
summary() prints the `N passed, N failed` line the test runner reads."""


class Checks:
    def __init__(self):
        self.passed = self.failed = 0

    def check(self, name, ok, why=""):
        if ok:
            print(f"ok {name}", flush=True)
            self.passed += 1
        else:
            print(f"FAIL {name}: {why}", flush=True)
            self.failed += 1
        return ok

    def summary(self):
        """Print the counts; the process exit status (0 only if nothing failed)."""
        print(f"{self.passed} passed, {self.failed} failed", flush=True)
        return 0 if self.failed == 0 else 1
