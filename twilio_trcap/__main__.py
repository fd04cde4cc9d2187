"""``python -m twilio_trcap``: the command line (see twilio_trcap.cli)."""

from .cli import main

raise SystemExit(main())
