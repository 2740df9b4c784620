"""``python -m imuforge``: the same command as ``imuforge``."""

import sys

from imuforge.cli import main

sys.exit(main())
