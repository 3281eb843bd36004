from validator.main import cli

cli()
