"""What the scripts in this folder that drive Confluent's Python client share: how they say the
client is missing (exit 2 with the command that installs it, which the Rust tests turn into a
failure naming that command), their one-line checks, and how they run (exit 64 on a wrong
command line, 1 with FAILED when a check fails)."""

import sys

BASE = "schemaregistry,json"
WITH_RULES = "schemaregistry,json,rules"


def install(extras):
    """The command that installs confluent-kafka with these extras."""
    return f"python3 -m pip install 'confluent-kafka[{extras}]'  (or run scripts/install-test-deps.sh)"


def missing(error, extras=BASE):
    """Says the client (with these extras) is missing and how to install it; exits 2."""
    what = "confluent-kafka with rules" if extras == WITH_RULES else "confluent-kafka"
    print(f"{what} is not installed ({error}); install it with: {install(extras)}", file=sys.stderr)
    sys.exit(2)


def check(condition, what):
    """Fails the script unless `condition`; prints the check that held."""
    if not condition:
        raise AssertionError(what)
    print(f"ok: {what}")


def run(main, usage, argc):
    """`main` with the command line's `argc` arguments; `usage` and exit 64 with another count,
    FAILED and exit 1 when a check fails."""
    if len(sys.argv) != argc + 1:
        print(usage, file=sys.stderr)
        sys.exit(64)
    try:
        main(*sys.argv[1:])
    except AssertionError as e:
        print(f"FAILED: {e}", file=sys.stderr)
        sys.exit(1)
