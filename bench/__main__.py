"""`python -m bench`: the one documented command (see bench.run)."""

from bench.run import main

raise SystemExit(main())
