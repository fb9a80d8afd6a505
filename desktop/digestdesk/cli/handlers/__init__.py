"""The commands' handlers, grouped by what they work on; :mod:`digestdesk.cli.commands` names
which handler runs which command. A handler takes the open library, the parsed arguments and the
output stream (and stdin when its command reads it) and returns the exit code."""
