"""Entry point for ``python -m solgen``."""

import sys

from solgen.cli import main

sys.exit(main())
