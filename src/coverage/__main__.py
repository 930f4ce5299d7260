"""Allow ``python -m coverage``."""

import sys

from .cli import main

sys.exit(main())
