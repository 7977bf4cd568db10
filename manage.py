#!/usr/bin/env python
"""Django's command-line utility for Sumida Kokuho."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sumida_kokuho.settings")
    # Commands may use a machine-local key from var/ when SECRET_KEY is not set (settings.py).
    os.environ.setdefault("SUMIDA_KOKUHO_COMMAND_LINE", "1")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
