"""Command modules: each imports ``cli`` from gongshi.cli and adds its commands.

gongshi.cli imports every module here, so a new command needs no edit elsewhere.
Shared options (as_of_option, content_option, reports_errors) live in gongshi.cli.
"""
