"""Earful: social listening and feedback triage."""

__version__ = "0.1.0"
