"""``python -m lygsim``: the same as the ``lygsim`` command."""

from lygsim.cli import main

raise SystemExit(main())
