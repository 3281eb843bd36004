"""One module per subcommand: ``add_arguments(parser)`` and ``run(args) -> int``.

Registered here in the order ``--help`` lists them; modules are imported only to build the parser,
so they keep heavy imports inside ``run``.
"""

COMMANDS: dict[str, tuple[str, str]] = {
    "lint": ("validator.commands.lint", "check spec files: schema and semantic rules, every issue with file:line:col"),
    "schema": ("validator.commands.schema", "print the JSON Schema of infra.yaml"),
    "plan": ("validator.commands.plan", "show what 'up' would change, and why (a true dry run)"),
    "up": ("validator.commands.up", "make Docker match the spec and wait until every service is ready"),
    "down": ("validator.commands.down", "stop and remove the project's containers and networks"),
    "check": ("validator.commands.check", "reconcile, run every check, probe, suite and criterion, and report"),
    "report": ("validator.commands.report", "re-render the last run, or show criteria over the last N runs"),
}
