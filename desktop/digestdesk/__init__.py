"""Digest Desk: a desktop reading manager for research-paper digests."""

__version__ = "0.1.0"
APP_NAME = "Digest Desk"
APP_ID = "digestdesk"
