"""`python -m labelcrew.cli`: the `labelcrew` command without its installed script (what the
container image and the deploy tests run)."""

from labelcrew.cli import main

main()
