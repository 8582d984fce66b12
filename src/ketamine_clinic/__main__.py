import sys

from ketamine_clinic.cli import main

# Guarded: a process started by multiprocessing's spawn (the gateway's workers) imports
# this module again under another name, and must not run the command a second time.
if __name__ == "__main__":
    sys.exit(main())
