"""``python -m intq`` is the ``intq`` command."""

import sys

from intq.cli.main import main

sys.exit(main())
