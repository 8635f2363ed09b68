"""Users of the browser-app tests (imported by tests/ui and tests/e2e)."""

ANN, ROSA, BOB = "ann", "rosa", "bob"  # reviewer, reviewer, analyst
PASSWORDS = {ANN: "ann-secret-1", ROSA: "rosa-secret-1", BOB: "bob-secret-1"}
