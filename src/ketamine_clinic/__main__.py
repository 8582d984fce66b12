import sys

from ketamine_clinic.cli import main

sys.exit(main())
