"""``python -m moonstub``: the same command line as the ``moonstub`` script."""

from moonstub._cli import main

if __name__ == "__main__":
    main()
