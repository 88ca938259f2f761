"""A setting of a run configuration, declared once: its type, range, choices and help.

The definitions live in the torch-free `run_files.settings` (the retraining configuration in
`neural.config` uses them too, and `neural` may not import `validate`); this module is their name
in validate's API.
"""
from __future__ import annotations

from run_files.settings import (Setting, at_least, default_of, finite, fraction, positive, setting_field,
                                settings_of, validate_settings)

__all__ = ["Setting", "at_least", "default_of", "finite", "fraction", "positive", "setting_field", "settings_of",
           "validate_settings"]
