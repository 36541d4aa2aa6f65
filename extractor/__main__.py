"""``python -m extractor``: the same commands as the ``extractor`` script."""

from extractor.cli import main

if __name__ == "__main__":
    main()
