"""Allow `python -m earful.cli`."""

from earful.cli.app import main

main()
