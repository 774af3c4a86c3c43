"""``python -m graphmem ...``: the ``graphmem`` command without its console script."""

from graphmem.cli import main

if __name__ == "__main__":
    main(prog_name="graphmem")
